package org.imageless.runtime.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for the hub endpoint the runtime uses that the hub does not serve yet:
 * {@code GET /api/v1/environments/{o}/{n}/generations/{n|live}} (contract C1, with its error
 * statuses and JSON error bodies), and {@code PUT /api/v1/events} (C2). {@code /cache} is either a
 * directory ({@code nix copy} wrote it) or forwarded to the real hub's cache, and who may read a
 * private environment can be decided by the real hub ({@link #authorizer}).
 */
public final class HubStandIn implements AutoCloseable {

    /** One environment: generations 1..n (lock JSON each), which is live, and who may read it. */
    public static final class Env {
        final List<String> locks = new CopyOnWriteArrayList<>();
        volatile int live;
        volatile String token; // null: public
    }

    /**
     * Decides a read: empty to allow, else the status and message to answer; status 299 allows
     * with a {@code Warning} header (a bad token on a public environment, served as anonymous).
     */
    @FunctionalInterface
    public interface Authorizer {
        Optional<Denial> check(String authorization, String owner, boolean isPrivate);
    }

    public record Denial(int status, String message) {}

    private final HttpServer server;
    private final Path cacheDir;
    private volatile URI cacheUpstream;
    private volatile Authorizer authorizer;
    private final Map<String, Env> envs = new ConcurrentHashMap<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();

    public HubStandIn(Path cacheDir) throws IOException {
        this.cacheDir = cacheDir;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Adds a generation (making it live); returns its number. */
    public int push(String owner, String name, String lockJson) {
        Env e = envs.computeIfAbsent(owner + "/" + name, k -> new Env());
        e.locks.add(lockJson);
        e.live = e.locks.size();
        return e.live;
    }

    public void makePrivate(String owner, String name, String token) {
        envs.get(owner + "/" + name).token = token;
    }

    /** Forwards {@code /cache/...} and {@code PUT /api/v1/events} (with the caller's Authorization) to {@code upstream}. */
    public void forwardTo(URI upstream) {
        this.cacheUpstream = upstream;
    }

    /** Private environments are decided by {@code a} instead of the token given to {@link #makePrivate}. */
    public void authorizer(Authorizer a) {
        this.authorizer = a;
    }

    public List<String> events() {
        return events;
    }

    /** Every request, as "METHOD /path". */
    public List<String> requests() {
        return requests;
    }

    public List<String> authorizations() {
        return authorizations;
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            requests.add(x.getRequestMethod() + " " + path);
            String auth = x.getRequestHeaders().getFirst("Authorization");
            if (auth != null) {
                authorizations.add(auth);
            }
            if (path.startsWith("/cache/") && cacheUpstream != null) {
                forward(x, cacheUpstream.resolve(path), auth);
                return;
            }
            if (path.equals("/api/v1/events") && cacheUpstream != null) {
                forward(x, cacheUpstream.resolve(path), auth);
                return;
            }
            if (path.startsWith("/cache/")) {
                Path file = cacheDir.resolve(path.substring("/cache/".length())).normalize();
                if (!file.startsWith(cacheDir) || !Files.isRegularFile(file)) {
                    send(x, 404, "not found");
                } else {
                    send(x, 200, Files.readAllBytes(file));
                }
                return;
            }
            if (path.equals("/api/v1/events") && x.getRequestMethod().equals("PUT")) {
                events.add(new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                send(x, 202, "{\"accepted\": 1}");
                return;
            }
            String[] p = path.split("/");
            // "", api, v1, environments, owner, name, generations, which
            if (p.length != 8 || !p[6].equals("generations")) {
                error(x, 404, "no such endpoint " + path, "not_found");
                return;
            }
            Env e = envs.get(p[4] + "/" + p[5]);
            if (e == null) {
                error(x, 404, "environment " + p[4] + "/" + p[5] + " does not exist", "not_found");
                return;
            }
            if (e.token == null && "bearer expired".equals(auth)) {
                x.getResponseHeaders().add("Warning", "299 floxhub \"the token expired; served as anonymous\"");
            }
            if (authorizer != null) {
                Optional<Denial> denial = authorizer.check(auth, p[4], e.token != null);
                if (denial.isPresent() && denial.get().status() == 299) {
                    x.getResponseHeaders().add("Warning", "299 floxhub \"" + denial.get().message() + "\"");
                } else if (denial.isPresent()) {
                    error(x, denial.get().status(), denial.get().message(), denial.get().status() == 401 ? "unauthorized" : "forbidden");
                    return;
                }
            } else if (e.token != null) {
                if (auth == null) {
                    error(x, 401, "environment " + p[4] + "/" + p[5] + " is private: a token is required", "unauthorized");
                    return;
                }
                if (auth.equals("bearer expired")) {
                    error(x, 401, "the token expired", "unauthorized");
                    return;
                }
                if (!auth.equals("bearer " + e.token)) {
                    error(x, 403, "the token's user is not a member of " + p[4], "forbidden");
                    return;
                }
            }
            int n = p[7].equals("live") ? e.live : Integer.parseInt(p[7]);
            if (n < 1 || n > e.locks.size()) {
                error(x, 404, "generation " + p[7] + " of " + p[4] + "/" + p[5] + " does not exist", "not_found");
                return;
            }
            send(x, 200, "{\"owner\":\"" + p[4] + "\",\"name\":\"" + p[5] + "\",\"generation\":" + n + ",\"live\":"
                    + (n == e.live) + ",\"manifest\":\"\",\"lock\":" + e.locks.get(n - 1)
                    + ",\"created\":{\"author\":\"a\",\"hostname\":\"h\",\"command\":null,\"timestamp\":0}}");
        }
    }

    private static void error(HttpExchange x, int status, String message, String kind) throws IOException {
        send(x, status, "{\"error\":\"" + message.replace("\\", "\\\\").replace("\"", "\\\"") + "\",\"kind\":\"" + kind + "\"}");
    }

    private static void forward(HttpExchange x, URI target, String auth) throws IOException {
        java.net.HttpURLConnection c = (java.net.HttpURLConnection) target.toURL().openConnection();
        c.setRequestMethod(x.getRequestMethod());
        if (auth != null) {
            c.setRequestProperty("Authorization", auth);
        }
        byte[] body = x.getRequestBody().readAllBytes();
        if (body.length > 0) {
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/json");
            c.getOutputStream().write(body);
        }
        int status = c.getResponseCode();
        java.io.InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
        send(x, status, in == null ? new byte[0] : in.readAllBytes());
    }

    private static void send(HttpExchange x, int status, String body) throws IOException {
        send(x, status, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange x, int status, byte[] body) throws IOException {
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /** For tests that look at what was asked. */
    public List<String> environments() {
        return new ArrayList<>(envs.keySet());
    }
}
