package org.imageless.hub.auth;

import java.time.Instant;
import java.util.Optional;

/**
 * What the hub knows about a token, never the token itself. {@code holder} is the user's name, or
 * {@code org/name} for a service account.
 */
public record TokenInfo(String id, TokenKind kind, String holder, String name, Instant created,
                        Optional<Instant> expires, Optional<Instant> lastUsed, Optional<Instant> revoked) {

    public boolean expiredAt(Instant now) {
        return expires.isPresent() && !now.isBefore(expires.get());
    }
}
