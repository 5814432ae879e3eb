package org.imageless.hub.server;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * Prometheus metrics of the server, served at {@code /metrics}: requests by method, route (the
 * route's template, e.g. {@code /api/v1/owners/{owner}}, so the label set stays small) and status,
 * and their latency. Features may register more metrics in {@link #registry()}.
 */
public final class Metrics {

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests = Counter.builder()
            .name("floxhub_http_requests_total")
            .help("HTTP requests by method, route and status")
            .labelNames("method", "route", "status")
            .register(registry);
    private final Histogram latency = Histogram.builder()
            .name("floxhub_http_request_duration_seconds")
            .help("HTTP request latency by method, route and status")
            .labelNames("method", "route", "status")
            .classicOnly()
            .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
            .register(registry);

    public PrometheusRegistry registry() {
        return registry;
    }

    void observe(Context ctx, String route, float millis) {
        String method = ctx.method().name();
        String status = Integer.toString(ctx.statusCode());
        requests.labelValues(method, route, status).inc();
        latency.labelValues(method, route, status).observe(millis / 1000.0);
    }

    void register(RoutesConfig routes) {
        PrometheusTextFormatWriter writer = new PrometheusTextFormatWriter(false);
        routes.get("/metrics", ctx -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                writer.write(out, registry.scrape());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            ctx.contentType(PrometheusTextFormatWriter.CONTENT_TYPE).result(out.toByteArray());
        });
    }
}
