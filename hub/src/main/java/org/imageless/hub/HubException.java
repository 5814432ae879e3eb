package org.imageless.hub;

/**
 * The hub's own failures, each with a {@link Kind} that the server maps to an HTTP status and the
 * CLI to an exit code, each in one place ({@code server.ErrorMapping}, {@code FloxHub.exitCode}).
 * Messages say what was wrong and, where there is one, what to do about it.
 */
public class HubException extends RuntimeException {

    public enum Kind {
        /** The caller's input breaks a rule (bad name, bad role, bad expiry). HTTP 400. */
        INVALID,
        /** No usable credentials; the caller should retry with some. HTTP 401. */
        UNAUTHENTICATED,
        /** Credentials are fine but do not allow this. HTTP 403. */
        FORBIDDEN,
        /** The thing asked for does not exist (or is not visible to the caller). HTTP 404. */
        NOT_FOUND,
        /** The request contradicts the current state (name taken, member already added). HTTP 409. */
        CONFLICT,
        /** A dependency (the database) is down; trying again may help. HTTP 503. */
        UNAVAILABLE
    }

    private final Kind kind;

    public HubException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public HubException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public static HubException invalid(String format, Object... args) {
        return new HubException(Kind.INVALID, format.formatted(args));
    }

    public static HubException unauthenticated(String format, Object... args) {
        return new HubException(Kind.UNAUTHENTICATED, format.formatted(args));
    }

    public static HubException forbidden(String format, Object... args) {
        return new HubException(Kind.FORBIDDEN, format.formatted(args));
    }

    public static HubException notFound(String format, Object... args) {
        return new HubException(Kind.NOT_FOUND, format.formatted(args));
    }

    public static HubException conflict(String format, Object... args) {
        return new HubException(Kind.CONFLICT, format.formatted(args));
    }

    public static HubException unavailable(String message, Throwable cause) {
        return new HubException(Kind.UNAVAILABLE, message, cause);
    }
}
