package org.imageless.hub.web;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.imageless.environment.generation.Generation;
import org.imageless.environment.generation.GenerationsMetadata;
import org.imageless.environment.generation.HistoryEntry;
import org.imageless.hub.Hub;
import org.imageless.hub.auth.Expiry;
import org.imageless.hub.server.HubServer;
import org.imageless.hub.testing.Backend;
import org.imageless.hub.testing.FloxmetaWorktree;
import org.imageless.hub.testing.TestHubs;

/**
 * A hub on 127.0.0.1 (ephemeral port) for the web UI, device-login and activation tests, with
 * users and generations pushed through the hub's real git smart-HTTP endpoint (JGit client).
 * Stands in until the shared {@code RunningHub} fixture (contract C4) lands.
 */
public final class WebTestHub implements AutoCloseable {

    public static final String MANIFEST = FloxmetaWorktree.MANIFEST;
    public static final String LOCK = FloxmetaWorktree.LOCK;

    public final Hub hub;
    public final HubServer server;
    private final Path work;
    private final Map<String, Git> repos = new HashMap<>();
    private final Map<String, GenerationsMetadata> metadata = new HashMap<>();
    final HttpClient http = HttpClient.newHttpClient();

    private WebTestHub(Hub hub, HubServer server, Path work) {
        this.hub = hub;
        this.server = server;
        this.work = work;
    }

    public static WebTestHub start(Path dir, Backend backend, Clock clock) {
        Hub hub = TestHubs.open(backend, dir.resolve("data"), clock);
        return new WebTestHub(hub, HubServer.start(hub, "127.0.0.1", 0, List.of()), dir.resolve("work"));
    }

    public String url() {
        return "http://127.0.0.1:" + server.port();
    }

    public static String password(String user) {
        return user + "-password";
    }

    /** Creates {@code user} (password {@link #password}) and returns a personal token. */
    public String createUser(String user) {
        hub.accounts().createUser(user, password(user).toCharArray());
        return hub.tokens().createPersonal(user, "test", Expiry.parse("30d")).secret();
    }

    /** Pushes the next generation of {@code owner/name} as {@code author} from {@code hostname}; returns its number. */
    public int pushGeneration(String owner, String name, String manifest, String lock, String token, String author,
                       String hostname, HistoryEntry.Change change) {
        String key = owner + "/" + name;
        try {
            Git git = repos.get(key);
            if (git == null) {
                git = Git.init().setDirectory(work.resolve(owner).resolve(name).toFile()).setInitialBranch(name).call();
                repos.put(key, git);
            }
            GenerationsMetadata meta = metadata.getOrDefault(key, GenerationsMetadata.empty());
            int n = meta.totalGenerations() + 1;
            Integer previous = meta.liveGeneration().isPresent() ? meta.liveGeneration().getAsInt() : null;
            List<String> command = new java.util.ArrayList<>(List.of("flox", change.kind().json()));
            if (change.targets() != null) {
                command.addAll(change.targets());
            }
            meta = meta.append(new HistoryEntry(change, author, hostname, command, hub.clock().instant().getEpochSecond(), n,
                    previous));
            Path dir = git.getRepository().getWorkTree().toPath();
            write(dir.resolve(Generation.manifestPath(n)), manifest);
            if (lock != null) {
                write(dir.resolve(Generation.lockPath(n)), lock);
            }
            write(dir.resolve(GenerationsMetadata.FILE_NAME), meta.format());
            git.add().addFilepattern(".").call();
            PersonIdent who = new PersonIdent(author, author + "@example.org");
            git.commit().setMessage("generation " + n).setAuthor(who).setCommitter(who).setSign(false).call();
            Iterable<PushResult> results = git.push().setRemote(url() + "/git/" + owner + "/floxmeta")
                    .setRefSpecs(new RefSpec("refs/heads/" + name + ":refs/heads/" + name))
                    .setCredentialsProvider(new UsernamePasswordCredentialsProvider("oauth", token)).call();
            for (PushResult r : results) {
                for (RemoteRefUpdate u : r.getRemoteUpdates()) {
                    if (u.getStatus() != RemoteRefUpdate.Status.OK) {
                        throw new IllegalStateException("push of " + key + " generation " + n + " failed: " + u.getStatus()
                                + " " + u.getMessage() + " " + r.getMessages());
                    }
                }
            }
            metadata.put(key, meta);
            return n;
        } catch (GitAPIException e) {
            throw new IllegalStateException("push of " + key + " failed: " + e.getMessage(), e);
        }
    }

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

    private static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        repos.values().forEach(Git::close);
        server.stop();
        hub.close();
    }
}
