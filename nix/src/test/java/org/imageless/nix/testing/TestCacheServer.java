package org.imageless.nix.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * Serves a binary cache directory over HTTP on localhost, with knobs to misbehave: answer a path
 * with given statuses first (e.g. 500 then the file), forbid paths, require credentials.
 */
public final class TestCacheServer implements AutoCloseable {

    private final Path root;
    private final HttpServer server;
    private final Map<String, Deque<Integer>> scripted = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> truncated = new ConcurrentHashMap<>();
    private volatile String requiredAuthorization;
    private volatile int throttleChunk;
    private volatile long throttlePauseMillis;

    private TestCacheServer(Path root) throws IOException {
        this.root = root;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    public static TestCacheServer serving(Path root) {
        try {
            return new TestCacheServer(root);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/cache");
    }

    /** The next requests of {@code relative} are answered with these statuses, then normally. */
    public void answer(String relative, Integer... statuses) {
        scripted.computeIfAbsent("/cache/" + relative, k -> new ArrayDeque<>()).addAll(List.of(statuses));
    }

    /** The next response for {@code relative} announces the full length but breaks off after {@code bytes}. */
    public void truncateNext(String relative, int bytes) {
        truncated.put("/cache/" + relative, bytes);
    }

    /** Requests without exactly this Authorization header get 401. */
    public void requireAuthorization(String header) {
        this.requiredAuthorization = header;
    }

    /** Sends file bodies in chunks of {@code chunkBytes} with a pause after each: slow downloads. */
    public void throttle(int chunkBytes, java.time.Duration pause) {
        this.throttleChunk = chunkBytes;
        this.throttlePauseMillis = pause.toMillis();
    }

    public List<String> requests() {
        return List.copyOf(requests);
    }

    public List<String> authorizations() {
        return List.copyOf(authorizations);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            requests.add(path);
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            authorizations.add(auth == null ? "" : auth);
            if (requiredAuthorization != null && !requiredAuthorization.equals(auth)) {
                ex.sendResponseHeaders(401, -1);
                return;
            }
            Deque<Integer> script = scripted.get(path);
            Integer status = script == null ? null : script.poll();
            if (status != null) {
                ex.sendResponseHeaders(status, -1);
                return;
            }
            Path file = path.startsWith("/cache/") ? root.resolve(path.substring("/cache/".length())).normalize() : null;
            if (file == null || !file.startsWith(root) || !Files.isRegularFile(file)) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            Integer cut = truncated.remove(path);
            ex.sendResponseHeaders(200, Files.size(file));
            if (cut != null) {
                try (InputStream in = Files.newInputStream(file)) {
                    ex.getResponseBody().write(in.readNBytes(cut));
                    ex.getResponseBody().flush();
                }
                // closing the exchange before the announced length makes the client see a broken stream
                throw new IOException("simulated connection drop");
            }
            try (InputStream in = Files.newInputStream(file); OutputStream out = ex.getResponseBody()) {
                int chunk = throttleChunk;
                if (chunk <= 0) {
                    in.transferTo(out);
                    return;
                }
                byte[] buf = new byte[chunk];
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    out.flush();
                    sleep(throttlePauseMillis);
                }
            }
        }
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
