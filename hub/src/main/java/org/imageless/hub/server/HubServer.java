package org.imageless.hub.server;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.json.JavalinJackson;
import java.util.ArrayList;
import java.util.List;
import org.imageless.hub.Hub;
import org.imageless.hub.account.AccountRoutes;
import org.imageless.hub.cache.CacheFeature;
import org.imageless.hub.cache.CacheStorage;
import org.imageless.hub.catalog.Catalog;
import org.imageless.hub.catalog.CatalogRoutes;
import org.imageless.hub.catalog.Resolver;
import org.imageless.hub.git.GitFeature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's HTTP server: Javalin on Jetty with virtual threads, the error mapping, one log line
 * and one metrics observation per request, {@code /healthz}, {@code /metrics}, and the routes of
 * each feature. Build with {@link #start(Hub, String, int, List)}; {@link #stop()} is graceful
 * (stops accepting, lets running requests finish for up to {@link #STOP_TIMEOUT_MS} ms).
 */
public final class HubServer implements AutoCloseable {

    static final long STOP_TIMEOUT_MS = 10_000;
    private static final Logger REQUESTS = LoggerFactory.getLogger("floxhub.request");

    private final Javalin app;
    private final Metrics metrics;

    private HubServer(Javalin app, Metrics metrics) {
        this.app = app;
        this.metrics = metrics;
    }

    /** The features every hub serves; others are added by the caller of {@link #start}. */
    public static List<Routes> builtIn(Hub hub) {
        CacheStorage storage = CacheFeature.storage(hub);
        Catalog catalog = new Catalog(hub, storage);
        return List.of(new AccountRoutes(hub), new CacheFeature(hub, storage, List.of(catalog::readableRoots)),
                new CatalogRoutes(catalog, new Resolver(catalog, hub.publicUrl())), new GitFeature(hub),
                new org.imageless.hub.web.WebFeature(hub));
    }

    /**
     * Starts serving {@code hub} on {@code host:port} (port 0 picks a free one, see {@link #port()})
     * with the built-in routes and {@code features}.
     */
    public static HubServer start(Hub hub, String host, int port, List<Routes> features) {
        Metrics metrics = new Metrics();
        List<Routes> all = new ArrayList<>(builtIn(hub));
        all.addAll(features);
        Javalin app = Javalin.create(config -> {
            config.concurrency.useVirtualThreads = true;
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.jetty.host = host;
            config.jetty.port = port;
            config.jetty.modifyServer(server -> server.setStopTimeout(STOP_TIMEOUT_MS));
            config.jetty.modifyServletContextHandler(context -> all.forEach(r -> r.mount(context)));
            config.jsonMapper(new JavalinJackson());
            config.appData(Requests.AUTHENTICATOR, hub.authenticator());
            config.requestLogger.http((ctx, millis) -> {
                String route = route(ctx);
                metrics.observe(ctx, route, millis);
                // the path only: a query string may hold a credential, and headers are never logged
                REQUESTS.info("{} {} {} {}ms {}", ctx.method().name(), ctx.path(), ctx.statusCode(),
                        String.format("%.1f", millis), Requests.logName(ctx));
            });
            ErrorMapping.register(config.routes);
            config.routes.get("/healthz", ctx -> {
                hub.database().ping();
                ctx.json(new Health("ok", hub.database().vendor().name().toLowerCase(java.util.Locale.ROOT)));
            });
            metrics.register(config.routes);
            for (Routes r : all) {
                r.register(config.routes);
            }
        });
        app.start();
        return new HubServer(app, metrics);
    }

    private static String route(Context ctx) {
        try {
            return ctx.endpoint().path;
        } catch (RuntimeException e) {
            return "unmatched";
        }
    }

    public int port() {
        return app.port();
    }

    public Metrics metrics() {
        return metrics;
    }

    public void stop() {
        app.stop();
    }

    @Override
    public void close() {
        stop();
    }

    /** The {@code /healthz} body; a record keeps its field order stable. */
    record Health(String status, String database) {}
}
