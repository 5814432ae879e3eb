package org.imageless.hub.server;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.imageless.hub.HubException;
import org.imageless.nix.NixException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where domain errors become HTTP responses: a status by kind and a JSON body
 * {@code {"error": "<message>", "kind": "<kind>"}}. Unauthenticated answers carry
 * {@code WWW-Authenticate: Basic realm="floxhub"} so that git and nix retry with their credentials.
 */
public final class ErrorMapping {

    public static final String CHALLENGE = "Basic realm=\"floxhub\"";
    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapping.class);

    private ErrorMapping() {}

    /** The HTTP status of a hub error kind. */
    public static int status(HubException.Kind kind) {
        return switch (kind) {
            case INVALID -> 400;
            case UNAUTHENTICATED -> 401;
            case FORBIDDEN -> 403;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case UNAVAILABLE -> 503;
        };
    }

    /** The HTTP status of a Nix-layer error kind. CORRUPT is the client's data (an upload) failing checks. */
    public static int status(NixException.Kind kind) {
        return switch (kind) {
            case INVALID, CORRUPT -> 400;
            case NOT_FOUND -> 404;
            case DENIED -> 403;
            case UNAVAILABLE -> 503;
            case IO -> 500;
        };
    }

    static void register(RoutesConfig routes) {
        routes.exception(HubException.class, (e, ctx) -> {
            if (e.kind() == HubException.Kind.UNAUTHENTICATED) {
                ctx.header("WWW-Authenticate", CHALLENGE);
            }
            if (e.kind() == HubException.Kind.UNAVAILABLE) {
                LOG.warn("{} {}: {}", ctx.method(), ctx.path(), e.getMessage(), e);
            }
            respond(ctx, status(e.kind()), e.getMessage(), label(e.kind().name()));
        });
        routes.exception(NixException.class, (e, ctx) -> {
            if (e.kind() == NixException.Kind.IO || e.kind() == NixException.Kind.UNAVAILABLE) {
                LOG.warn("{} {}: {}", ctx.method(), ctx.path(), e.getMessage(), e);
            }
            respond(ctx, status(e.kind()), e.getMessage(), label(e.kind().name()));
        });
        routes.exception(HttpResponseException.class, (e, ctx) ->
                respond(ctx, e.getStatus(), e.getMessage(), e.getStatus() == 404 ? "not_found" : "http_" + e.getStatus()));
        routes.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            respond(ctx, 500, "internal error; the hub's log has the details", "internal");
        });
    }

    private static void respond(Context ctx, int status, String message, String kind) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("error", message);
        body.put("kind", kind);
        ctx.status(status).json(body);
    }

    private static String label(String kindName) {
        return kindName.toLowerCase(Locale.ROOT);
    }
}
