package org.imageless.nix.cache;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** How a cache's files are fetched: over HTTP(S), or from a local directory for {@code file://}. */
sealed interface Transport extends AutoCloseable {

    /** A response: HTTP-like status and, for 200, the body. The caller closes the body. */
    record Response(int status, InputStream body) {}

    /**
     * Fetches {@code relative} below the cache's base.
     *
     * @throws IOException for connection-level failures (transient)
     */
    Response get(String relative) throws IOException, InterruptedException;

    @Override
    void close();

    static Transport of(URI base, Optional<String> authorization, Duration connectTimeout, Duration requestTimeout) {
        return switch (Objects.requireNonNullElse(base.getScheme(), "")) {
            case "http", "https" -> new Http(base, authorization, connectTimeout, requestTimeout);
            case "file" -> new Directory(Path.of(base));
            default -> throw new IllegalArgumentException("scheme");
        };
    }

    /** HTTP(S) with the JDK client on virtual threads; redirects are followed here, see {@link #get}. */
    final class Http implements Transport {
        private static final int MAX_REDIRECTS = 5;
        private final String base;
        private final Optional<String> authorization;
        private final Duration requestTimeout;
        private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        private final HttpClient client;

        Http(URI base, Optional<String> authorization, Duration connectTimeout, Duration requestTimeout) {
            String s = base.toString();
            this.base = s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
            this.authorization = authorization;
            this.requestTimeout = requestTimeout;
            this.client = HttpClient.newBuilder()
                    .executor(executor)
                    .connectTimeout(connectTimeout)
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
        }

        /**
         * GET with up to 5 redirects followed by hand, so that the credentials are sent only to the
         * cache's own origin and never to another host a redirect points at (e.g. a storage bucket).
         */
        @Override
        public Response get(String relative) throws IOException, InterruptedException {
            URI origin = URI.create(base);
            URI uri = URI.create(base + "/" + relative);
            for (int hop = 0; ; hop++) {
                HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(requestTimeout).GET();
                if (sameOrigin(origin, uri)) {
                    authorization.ifPresent(a -> req.header("Authorization", a));
                }
                HttpResponse<InputStream> r = client.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
                int status = r.statusCode();
                Optional<String> location = r.headers().firstValue("Location");
                if (status / 100 == 3 && status != 304 && location.isPresent() && hop < MAX_REDIRECTS) {
                    r.body().close();
                    uri = uri.resolve(location.get());
                    continue;
                }
                if (status != 200) {
                    r.body().close();
                    return new Response(status, InputStream.nullInputStream());
                }
                return new Response(status, r.body());
            }
        }

        private static boolean sameOrigin(URI a, URI b) {
            return Objects.equals(a.getScheme(), b.getScheme()) && Objects.equals(a.getHost(), b.getHost())
                    && a.getPort() == b.getPort();
        }

        @Override
        public void close() {
            client.close();
            executor.close();
        }
    }

    /** A cache in a local directory ({@code file:///path}, as written by {@code nix copy --to file://…}). */
    final class Directory implements Transport {
        private final Path root;

        Directory(Path root) {
            this.root = root.toAbsolutePath().normalize();
        }

        @Override
        public Response get(String relative) throws IOException {
            Path file = root.resolve(relative).normalize();
            if (!file.startsWith(root) || Files.isDirectory(file)) {
                return new Response(404, InputStream.nullInputStream());
            }
            try {
                return new Response(200, Files.newInputStream(file));
            } catch (NoSuchFileException e) {
                return new Response(404, InputStream.nullInputStream());
            }
        }

        @Override
        public void close() {}
    }
}
