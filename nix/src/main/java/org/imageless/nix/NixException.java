package org.imageless.nix;

/**
 * The one exception type of the Nix layer. Its {@link Kind} says what went wrong in terms every
 * caller can map to its own protocol (exit codes in CLIs, HTTP statuses in the hub, runc log lines
 * in the runtime) in one place; the message names the value and the rule it broke.
 */
public class NixException extends RuntimeException {

    /** What kind of failure this is, independent of the layer that reports it. */
    public enum Kind {
        /** A value given by the caller breaks a rule (bad store path, malformed hash, bad key). */
        INVALID,
        /** Something asked for does not exist (narinfo absent from a cache, path not in a store). */
        NOT_FOUND,
        /** Data read from elsewhere is damaged or forged (NAR syntax, hash or signature mismatch). */
        CORRUPT,
        /** A peer could not be reached or answered with a server error; trying again may help. */
        UNAVAILABLE,
        /** The peer refused access. */
        DENIED,
        /** A local I/O operation failed. */
        IO;

        /**
         * The exit code of every command-line tool of the project for this kind, so scripts can
         * tell "not there" (3) from "broken" (4) from "try again" (5) whichever tool they run.
         */
        public int exitCode() {
            return switch (this) {
                case INVALID -> 2;
                case NOT_FOUND -> 3;
                case CORRUPT -> 4;
                case UNAVAILABLE -> 5;
                case DENIED -> 6;
                case IO -> 1;
            };
        }
    }

    private final Kind kind;

    public NixException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public NixException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public static NixException invalid(String format, Object... args) {
        return new NixException(Kind.INVALID, format.formatted(args));
    }

    public static NixException corrupt(String format, Object... args) {
        return new NixException(Kind.CORRUPT, format.formatted(args));
    }
}
