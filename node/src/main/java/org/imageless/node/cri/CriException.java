package org.imageless.node.cri;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * A CRI call that failed. The message is the runtime's own error text, verbatim (that is how
 * users see runtime errors, e.g. from flox-container-runtime), prefixed with the call.
 */
public final class CriException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final Status.Code code;

    public CriException(String call, StatusRuntimeException cause) {
        super(call + ": " + describe(cause.getStatus()), cause);
        this.code = cause.getStatus().getCode();
    }

    public CriException(String message, Status.Code code) {
        super(message);
        this.code = code;
    }

    /** The gRPC status code (NOT_FOUND for a missing sandbox/container/image, UNAVAILABLE for no runtime, …). */
    public Status.Code code() {
        return code;
    }

    /** The runtime's description alone, without the call prefix. */
    public String runtimeMessage() {
        Throwable c = getCause();
        return c instanceof StatusRuntimeException s ? describe(s.getStatus()) : getMessage();
    }

    private static String describe(Status status) {
        String d = status.getDescription();
        return d == null || d.isBlank() ? status.getCode().toString() : d;
    }
}
