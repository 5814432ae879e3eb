package org.imageless.hub.auth;

import org.imageless.hub.HubException;

/**
 * What a request's credentials amount to: a principal, or a precise reason why not, with a message
 * that says what to do. Handlers decide: most require {@link #principal()}, reads of public things
 * use {@link #principalOrAnonymous()} so that a missing or expired token is served as anonymous.
 */
public sealed interface Authentication {

    enum Failure {
        /** No Authorization header. */
        MISSING,
        /** A header or token that cannot be a hub token (bad scheme, bad base64, wrong prefix or length). */
        MALFORMED,
        /** Well formed but not issued by this hub (or deleted). */
        UNKNOWN,
        /** Past its expiry date. */
        EXPIRED,
        /** Revoked by its owner or an admin. */
        REVOKED
    }

    record Authenticated(Principal principal) implements Authentication {}

    record Failed(Failure failure, String message) implements Authentication {
        /** A token that worked once (expired or revoked): reads degrade to anonymous with a warning. */
        public boolean stale() {
            return failure == Failure.EXPIRED || failure == Failure.REVOKED;
        }
    }

    /** The principal; for any failure, an UNAUTHENTICATED error carrying the failure's message. */
    default Principal principal() {
        return switch (this) {
            case Authenticated a -> a.principal();
            case Failed f -> throw HubException.unauthenticated("%s", f.message());
        };
    }

    /**
     * The principal, or anonymous when the credentials are missing, expired or revoked (the caller should
     * then add a warning, see {@link #warning()}): a token that no longer works must not hide what anyone
     * may read. Malformed and unknown credentials still fail (they are mistakes to fix, not stale tokens).
     */
    default Principal principalOrAnonymous() {
        return switch (this) {
            case Authenticated a -> a.principal();
            case Failed f when f.failure() == Failure.MISSING || f.stale() -> Principal.ANONYMOUS;
            case Failed f -> throw HubException.unauthenticated("%s", f.message());
        };
    }

    /** A warning to send to a caller served as anonymous despite credentials (an expired or revoked token), or null. */
    default String warning() {
        return this instanceof Failed f && f.stale() ? f.message() + "; served as anonymous" : null;
    }

    /** The name to log: the principal's, or {@code -} with the failure. Never part of a token. */
    default String logName() {
        return switch (this) {
            case Authenticated a -> a.principal().name();
            case Failed f when f.failure() == Failure.MISSING -> "anonymous";
            case Failed f -> "-(" + f.failure().name().toLowerCase(java.util.Locale.ROOT) + ")";
        };
    }
}
