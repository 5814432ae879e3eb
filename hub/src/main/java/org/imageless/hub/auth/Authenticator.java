package org.imageless.hub.auth;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import org.imageless.hub.auth.Authentication.Failed;
import org.imageless.hub.auth.Authentication.Failure;

/**
 * Turns a request's {@code Authorization} header into an {@link Authentication}. Accepts
 * {@code Bearer <token>} and HTTP Basic with the token as the password and any user name (what
 * {@code git} and nix's netrc send). Never puts any part of a token into a message.
 */
public final class Authenticator {

    static final String CREATE_ONE = "create a new one with 'flox auth login' or 'floxhub admin token create'";
    private static final DateTimeFormatter DAY = DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC);

    private final Tokens tokens;
    private final Clock clock;

    public Authenticator(Tokens tokens, Clock clock) {
        this.tokens = tokens;
        this.clock = clock;
    }

    /** {@code authorization} is the header's value, or null when the request has none. */
    public Authentication authenticate(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            return new Failed(Failure.MISSING, "no credentials: send 'Authorization: bearer <token>' "
                    + "or HTTP Basic with the token as password; " + CREATE_ONE.replace("create a new one", "create one"));
        }
        String header = authorization.strip();
        int space = header.indexOf(' ');
        String scheme = (space < 0 ? header : header.substring(0, space)).toLowerCase(Locale.ROOT);
        String rest = space < 0 ? "" : header.substring(space + 1).strip();
        String secret;
        switch (scheme) {
            case "bearer" -> secret = rest;
            case "basic" -> {
                Optional<String> password = basicPassword(rest);
                if (password.isEmpty()) {
                    return new Failed(Failure.MALFORMED, "malformed HTTP Basic credentials: expected base64 of 'user:token'");
                }
                secret = password.get();
            }
            default -> {
                return new Failed(Failure.MALFORMED, "unsupported authorization scheme '" + printable(scheme)
                        + "': use 'bearer <token>' or HTTP Basic with the token as password");
            }
        }
        return authenticateToken(secret);
    }

    /** Authenticates a bare token (as from a form or a cookie). */
    public Authentication authenticateToken(String secret) {
        if (!Tokens.wellFormed(secret)) {
            return new Failed(Failure.MALFORMED, "the credential is not a FloxHub token "
                    + "(expected flox_pat_…, flox_sat_… or flox_lgn_… followed by 43 characters)");
        }
        Optional<Tokens.Found> found = tokens.find(secret);
        if (found.isEmpty()) {
            return new Failed(Failure.UNKNOWN, "the token is not known to this hub: " + CREATE_ONE);
        }
        TokenInfo info = found.get().info();
        Instant now = clock.instant();
        if (info.revoked().isPresent()) {
            return new Failed(Failure.REVOKED, "token " + info.id() + " ('" + info.name() + "') was revoked on "
                    + DAY.format(info.revoked().get()) + ": " + CREATE_ONE);
        }
        if (info.expiredAt(now)) {
            return new Failed(Failure.EXPIRED, "token expired on " + DAY.format(info.expires().get()) + ": " + CREATE_ONE);
        }
        tokens.touch(info);
        return new Authentication.Authenticated(found.get().principal());
    }

    private static Optional<String> basicPassword(String encoded) {
        try {
            String decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return colon < 0 ? Optional.empty() : Optional.of(decoded.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static String printable(String s) {
        String cut = s.length() > 20 ? s.substring(0, 20) + "…" : s;
        return cut.replaceAll("[^A-Za-z0-9_-]", "?");
    }
}
