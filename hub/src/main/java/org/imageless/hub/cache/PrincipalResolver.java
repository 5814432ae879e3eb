package org.imageless.hub.cache;

import io.javalin.http.Context;

/**
 * Who is calling, as the hub's authentication decides it from the request (a bearer token, or HTTP
 * Basic with the token as the password as nix sends it from netrc). Supplied by the server; the cache
 * never looks at credentials itself.
 *
 * @param <P> the server's principal type; anonymous callers are a principal too (never {@code null})
 */
@FunctionalInterface
public interface PrincipalResolver<P> {
    P resolve(Context ctx);
}
