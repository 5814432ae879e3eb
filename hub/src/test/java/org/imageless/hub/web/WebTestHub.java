package org.imageless.hub.web;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.imageless.environment.generation.HistoryEntry;
import org.imageless.hub.Hub;
import org.imageless.hub.server.HubServer;
import org.imageless.hub.testing.Backend;
import org.imageless.hub.testing.FloxmetaWorktree;
import org.imageless.hub.testing.RunningHub;

/**
 * {@link RunningHub} with what the web UI, device-login and activation tests add: a clock, the hub's
 * services as a field, pushes from a given author and host, and raw HTTP answers (any status).
 */
public final class WebTestHub implements AutoCloseable {

    public static final String MANIFEST = FloxmetaWorktree.MANIFEST;
    public static final String LOCK = FloxmetaWorktree.LOCK;

    public final RunningHub running;
    public final Hub hub;
    public final HubServer server;
    final HttpClient http = HttpClient.newHttpClient();

    private WebTestHub(RunningHub running) {
        this.running = running;
        this.hub = running.hub();
        this.server = running.server();
    }

    public static WebTestHub start(Path dir, Backend backend, Clock clock) {
        return new WebTestHub(RunningHub.start(backend, dir.resolve("data"), clock));
    }

    public String url() {
        return running.url();
    }

    /** The password {@link #createUser} gives {@code user}. */
    public static String password(String user) {
        return user + "-password";
    }

    /** Creates {@code user} (password {@link #password}) and returns a personal token. */
    public String createUser(String user) {
        return running.createUser(user);
    }

    /** Pushes the next generation of {@code owner/name} as {@code author} from {@code hostname}; returns its number. */
    public int pushGeneration(String owner, String name, String manifest, String lock, String token, String author,
                       String hostname, HistoryEntry.Change change) {
        return running.pushGeneration(owner, name, manifest, lock, token, author, hostname, change);
    }

    /** Pushes as alice from {@code laptop} (history: installed gh). */
    public int pushGeneration(String owner, String name, String manifest, String lock, String token) {
        return pushGeneration(owner, name, manifest, lock, token, "alice", "laptop", HistoryEntry.Change.install(List.of("gh")));
    }

    public HttpResponse<String> send(String method, String path, String token, String contentType, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<String> json(String method, String path, String token, String body) {
        return send(method, path, token, "application/json", body);
    }

    @Override
    public void close() {
        try {
            running.close();
        } finally {
            http.close();
        }
    }
}
