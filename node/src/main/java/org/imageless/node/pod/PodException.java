package org.imageless.node.pod;

/** A pod cannot be run or found as asked; the message says why and what to do. */
public final class PodException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public PodException(String message) {
        super(message);
    }
}
