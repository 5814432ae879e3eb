package org.imageless.hub.web;

import io.javalin.http.Context;
import io.javalin.http.Cookie;
import io.javalin.http.SameSite;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import org.imageless.hub.Hub;
import org.imageless.hub.HubException;
import org.imageless.hub.auth.Authentication;
import org.imageless.hub.auth.IssuedToken;
import org.imageless.hub.auth.Principal;
import org.imageless.hub.auth.Tokens;

/**
 * Browser sessions. Signing in with a password issues a login token ({@code flox_lgn_…}, named
 * {@value #TOKEN_NAME}, 30 days) that the browser keeps in an HttpOnly, SameSite=Lax cookie; so a
 * session is listed, expires and is revoked like any token, and every replica of the hub knows it.
 * Signing out revokes it. POST forms carry a CSRF token that must equal the {@value #CSRF_COOKIE}
 * cookie (double submit): another site can make the browser send the cookie but cannot read it.
 */
final class WebSessions {

    static final String SESSION_COOKIE = "floxhub_session";
    static final String CSRF_COOKIE = "floxhub_csrf";
    static final String CSRF_FIELD = "csrf";
    static final String TOKEN_NAME = "web sign-in";
    private static final String ATTRIBUTE = "floxhub.visitor";

    private final Hub hub;
    private final SecureRandom random = new SecureRandom();

    WebSessions(Hub hub) {
        this.hub = hub;
    }

    /**
     * Who is looking at a page: a signed-in user (with the id of the session's token) or anonymous.
     * A session cookie whose token expired or was revoked counts as signed out, and is dropped.
     */
    record Visitor(Principal principal, String sessionTokenId, String csrf) {
        boolean signedIn() {
            return principal instanceof Principal.User;
        }

        String name() {
            return principal.name();
        }
    }

    Visitor visitor(Context ctx) {
        Visitor cached = ctx.attribute(ATTRIBUTE);
        if (cached != null) {
            return cached;
        }
        String csrf = ctx.cookie(CSRF_COOKIE);
        if (csrf == null || csrf.length() != 43) {
            csrf = randomToken();
            ctx.cookie(cookie(CSRF_COOKIE, csrf, -1));
        }
        Principal principal = Principal.ANONYMOUS;
        String tokenId = null;
        String session = ctx.cookie(SESSION_COOKIE);
        if (session != null) {
            if (Tokens.wellFormed(session)
                    && hub.authenticator().authenticateToken(session) instanceof Authentication.Authenticated a
                    && a.principal() instanceof Principal.User u) {
                principal = u;
                tokenId = u.tokenId();
            } else {
                ctx.cookie(cookie(SESSION_COOKIE, "", 0));
            }
        }
        Visitor v = new Visitor(principal, tokenId, csrf);
        ctx.attribute(ATTRIBUTE, v);
        return v;
    }

    /** Checks the user's password and starts a session; INVALID with a message when they do not match. */
    void signIn(Context ctx, String user, String password) {
        if (user == null || user.isBlank() || password == null || password.isEmpty()
                || !hub.accounts().checkPassword(user.strip(), password.toCharArray())) {
            throw HubException.unauthenticated("wrong user name or password: check both; "
                    + "an administrator can reset a password with 'floxhub admin user create'");
        }
        IssuedToken token = hub.tokens().createLogin(user.strip(), TOKEN_NAME);
        ctx.cookie(cookie(SESSION_COOKIE, token.secret(), (int) Tokens.LOGIN_VALIDITY.toSeconds()));
    }

    void signOut(Context ctx, Visitor v) {
        if (v.sessionTokenId() != null) {
            hub.tokens().revoke(v.sessionTokenId());
        }
        ctx.cookie(cookie(SESSION_COOKIE, "", 0));
    }

    /** FORBIDDEN unless the form's CSRF field equals the browser's CSRF cookie. */
    void checkCsrf(Context ctx) {
        String cookie = ctx.cookie(CSRF_COOKIE);
        String field = ctx.formParam(CSRF_FIELD);
        if (cookie == null || field == null || !MessageDigest.isEqual(cookie.getBytes(StandardCharsets.US_ASCII),
                field.getBytes(StandardCharsets.US_ASCII))) {
            throw HubException.forbidden("the form is stale or was sent from another site (CSRF check failed): "
                    + "reload the page and submit it again");
        }
    }

    private Cookie cookie(String name, String value, int maxAge) {
        Cookie c = new Cookie(name, value, "/", maxAge, "https".equals(hub.publicUrl().getScheme()), true, null, SameSite.LAX);
        c.setHttpOnly(true);
        c.setSameSite(SameSite.LAX);
        return c;
    }

    private String randomToken() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
