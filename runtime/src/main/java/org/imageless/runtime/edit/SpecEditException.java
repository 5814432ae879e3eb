package org.imageless.runtime.edit;

/** An edit could not be applied; the message names the edit and the cause. */
public final class SpecEditException extends RuntimeException {
    public SpecEditException(String message, Throwable cause) {
        super(message, cause);
    }
}
