package org.imageless.runtime.annotation;

/** A pod annotation is missing or has a bad value; the message says which and what is expected. */
public final class AnnotationException extends RuntimeException {
    public AnnotationException(String message) {
        super(message);
    }
}
