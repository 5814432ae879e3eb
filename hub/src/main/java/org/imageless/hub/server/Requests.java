package org.imageless.hub.server;

import io.javalin.config.Key;
import io.javalin.http.Context;
import org.imageless.hub.HubException;
import org.imageless.hub.auth.Access;
import org.imageless.hub.auth.Authentication;
import org.imageless.hub.auth.Authenticator;
import org.imageless.hub.auth.Principal;
import org.imageless.hub.auth.Visibility;

/**
 * Who is calling, for handlers. The credentials are checked at most once per request (lazily, so
 * endpoints that need no caller do not touch the database) and remembered for the request log.
 */
public final class Requests {

    /**
     * The header that tells a caller served as anonymous why (an expired or revoked token): RFC 9111's
     * {@code Warning: 299 floxhub "<why>"} (see {@link #warningValue}).
     */
    public static final String WARNING_HEADER = "Warning";
    static final Key<Authenticator> AUTHENTICATOR = new Key<>("floxhub.authenticator");
    private static final String ATTRIBUTE = "floxhub.authentication";

    private Requests() {}

    /** The outcome of the request's credentials (computed once). */
    public static Authentication authentication(Context ctx) {
        Authentication a = ctx.attribute(ATTRIBUTE);
        if (a == null) {
            a = ctx.appData(AUTHENTICATOR).authenticate(ctx.header("Authorization"));
            ctx.attribute(ATTRIBUTE, a);
        }
        return a;
    }

    /** The authenticated principal; 401 with the reason (missing, expired, revoked, …) otherwise. */
    public static Principal principal(Context ctx) {
        return authentication(ctx).principal();
    }

    /**
     * The principal, or anonymous for a request without credentials or with an expired or revoked token
     * (then with a {@value #WARNING_HEADER} header saying so). Malformed and unknown tokens are 401.
     */
    public static Principal principalOrAnonymous(Context ctx) {
        Authentication a = authentication(ctx);
        Principal p = a.principalOrAnonymous();
        String warning = a.warning();
        if (warning != null) {
            ctx.header(WARNING_HEADER, warningValue(warning));
        }
        return p;
    }

    /** {@code 299 floxhub "<message>"}: a warn-code, agent and quoted text, as the {@code Warning} header wants. */
    public static String warningValue(String message) {
        // a quoted-string of printable ASCII: token names are the user's text
        return "299 floxhub \"" + message.replaceAll("[\\\\\"]", "'").replaceAll("[^\\x20-\\x7e]", "?") + "\"";
    }

    /**
     * Reads of something of {@code owner} with {@code visibility}: the caller, served as anonymous
     * when allowed; when denied to an anonymous caller whose token expired, the 401 says it expired.
     */
    public static Principal checkRead(Context ctx, Access access, String owner, Visibility visibility) {
        Principal p = principalOrAnonymous(ctx);
        if (!access.canRead(p, owner, visibility) && p instanceof Principal.Anonymous
                && authentication(ctx) instanceof Authentication.Failed f) {
            if (f.failure() != Authentication.Failure.MISSING) {
                throw HubException.unauthenticated("%s", f.message());
            }
        }
        access.checkRead(p, owner, visibility);
        return p;
    }

    /** Writes to {@code owner}: an authenticated principal with at least writer. */
    public static Principal checkWrite(Context ctx, Access access, String owner) {
        Principal p = principal(ctx);
        access.checkWrite(p, owner);
        return p;
    }

    /** The name for the request log: never a token. */
    static String logName(Context ctx) {
        Authentication a = ctx.attribute(ATTRIBUTE);
        return a == null ? "-" : a.logName();
    }
}
