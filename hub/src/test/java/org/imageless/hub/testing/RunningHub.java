package org.imageless.hub.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.ResetCommand;
import org.eclipse.jgit.api.TransportConfigCallback;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.TransportHttp;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.imageless.environment.generation.Generation;
import org.imageless.environment.generation.GenerationsMetadata;
import org.imageless.environment.generation.HistoryEntry;
import org.imageless.environment.manifest.Manifest;
import org.imageless.hub.Hub;
import org.imageless.hub.account.Role;
import org.imageless.hub.auth.Expiry;
import org.imageless.hub.auth.IssuedToken;
import org.imageless.hub.server.HubServer;
import org.imageless.nix.testing.RealNix;

/**
 * A real hub served on {@code 127.0.0.1} (ephemeral port) over embedded SQLite in a data directory,
 * for end-to-end tests of this and other modules (runtime, CLI). Everything that a client would do
 * goes through the hub's real endpoints: generations are pushed over git smart-HTTP (JGit client) in
 * Flox's floxmeta layout, packages are published and resolved through the catalog REST API.
 * Account set-up (users, organisations, tokens) calls the hub's services directly, like
 * {@code floxhub admin} does.
 *
 * <pre>{@code
 * try (RunningHub hub = RunningHub.start(tmp.resolve("hub"))) {
 *     String alice = hub.createUser("alice");
 *     hub.createOrg("acme", "alice");
 *     int gen = hub.pushGeneration("acme", "web", manifestToml, lockJson, alice);
 *     // clients use hub.url(), trust hub.publicKey(), upload with `nix copy --to hub.url() + "/cache"`
 * }
 * }</pre>
 *
 * Methods throw {@link IllegalStateException} with the hub's answer when the hub refuses something.
 * Safe to use from one test thread at a time per environment (concurrent pushes to the same
 * environment race like real clients: the loser fails).
 */
public final class RunningHub implements AutoCloseable {

    /** The hostname written into history entries of generations pushed by {@link #pushGeneration}. */
    public static final String HOSTNAME = "runninghub-test";
    /** The system {@link #manifest} targets unless told otherwise. */
    public static final String SYSTEM = "x86_64-linux";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Hub hub;
    private final HubServer server;
    private final Path workDir;
    private final HttpClient http = HttpClient.newHttpClient();

    private RunningHub(Hub hub, HubServer server, Path workDir) {
        this.hub = hub;
        this.server = server;
        this.workDir = workDir;
    }

    /** Opens a fresh hub in {@code dataDir} (SQLite, cheap password hashing) and serves it on 127.0.0.1, a free port. */
    public static RunningHub start(Path dataDir) {
        return start(Backend.SQLITE, dataDir);
    }

    /** {@link #start(Path)} on the given database (PostgreSQL: a fresh database in the shared test cluster). */
    public static RunningHub start(Backend backend, Path dataDir) {
        return start(backend, dataDir, Clock.systemUTC());
    }

    /** {@link #start(Backend, Path)} with the hub's clock (e.g. a {@link MutableClock}). */
    public static RunningHub start(Backend backend, Path dataDir, Clock clock) {
        Hub hub = TestHubs.open(backend, dataDir, clock);
        try {
            HubServer server = HubServer.start(hub, "127.0.0.1", 0, List.of());
            Path work = Files.createDirectories(dataDir.toAbsolutePath().getParent()
                    .resolve(dataDir.getFileName() + "-runninghub-work"));
            return new RunningHub(hub, server, work);
        } catch (IOException | RuntimeException e) {
            hub.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /** The hub's base URL, e.g. {@code http://127.0.0.1:40123} (no trailing slash); the cache is {@code url() + "/cache"}. */
    public String url() {
        return "http://127.0.0.1:" + server.port();
    }

    /** The binary cache's public key in Nix's {@code name:base64} form: what nodes put in {@code trusted_keys}. */
    public String publicKey() {
        return hub.signingKey().publicKey().toString();
    }

    /** The hub's services, for assertions and set-up that has no endpoint. */
    public Hub hub() {
        return hub;
    }

    public HubServer server() {
        return server;
    }

    // ------------------------------------------------------------------ accounts

    /** Creates user {@code name} (password {@code <name>-password}) and returns a personal token that never expires. */
    public String createUser(String name) {
        hub.accounts().createUser(name, (name + "-password").toCharArray());
        return hub.tokens().createPersonal(name, "runninghub", Expiry.NEVER).secret();
    }

    /** Another personal token of {@code user} (an existing user), as a second login or a CI job would have. */
    public String anotherToken(String user) {
        return hub.tokens().createPersonal(user, "another", Expiry.NEVER).secret();
    }

    /** Creates organisation {@code org} with {@code ownerUser} (an existing user) as its owner. */
    public void createOrg(String org, String ownerUser) {
        hub.accounts().createOrg(org);
        hub.accounts().addMember(org, ownerUser, Role.OWNER);
    }

    /** Adds (or changes) {@code user}'s membership of {@code org}: {@code role} is owner, writer or reader. */
    public void addMember(String org, String user, String role) {
        hub.accounts().addMember(org, user, Role.parse(role));
    }

    /**
     * A token of service account {@code org/name} with {@code role} (reader or writer); the account is
     * created on first use (a later call with another role keeps the first role).
     */
    public String serviceAccountToken(String org, String name, String role) {
        if (hub.accounts().serviceAccount(org, name).isEmpty()) {
            hub.accounts().createServiceAccount(org, name, Role.parse(role));
        }
        return hub.tokens().createServiceAccountToken(org, name, "runninghub", Expiry.NEVER).secret();
    }

    /** A personal token of {@code user} that has already expired. */
    public String expiredToken(String user) {
        return hub.tokens().createPersonal(user, "expired", Expiry.of(Duration.ofSeconds(-60))).secret();
    }

    /** A personal token of {@code user} that was revoked. */
    public String revokedToken(String user) {
        IssuedToken t = hub.tokens().createPersonal(user, "revoked", Expiry.NEVER);
        hub.tokens().revoke(t.info().id());
        return t.secret();
    }

    // ------------------------------------------------------------------ environments

    /**
     * Pushes the next generation of {@code owner/name} through the hub's git smart-HTTP endpoint, as
     * {@code flox push} does: fetches the environment's branch (if any), adds {@code <N>/env/manifest.toml}
     * (and {@code <N>/env/manifest.lock} unless {@code lockJsonOrNull} is null), appends a history entry
     * (kind {@code install} of the manifest's install ids, or {@code edit} without any; author = the
     * token's holder; hostname {@value #HOSTNAME}; now) that makes it live, commits and pushes. The first
     * push creates the environment (public).
     *
     * @return the new generation's number
     */
    public int pushGeneration(String owner, String name, String manifestToml, String lockJsonOrNull, String token) {
        List<String> ids = List.copyOf(Manifest.parse(manifestToml, "manifest.toml").install().keySet());
        HistoryEntry.Change change = ids.isEmpty() ? HistoryEntry.Change.edit() : HistoryEntry.Change.install(ids);
        return pushGeneration(owner, name, manifestToml, lockJsonOrNull, token, whoami(token), HOSTNAME, change);
    }

    /**
     * {@link #pushGeneration(String, String, String, String, String)} with the history entry's
     * {@code author}, {@code hostname} and {@code change} given (its command is
     * {@code flox <change kind> <targets>}).
     */
    public int pushGeneration(String owner, String name, String manifestToml, String lockJsonOrNull, String token,
                              String author, String hostname, HistoryEntry.Change change) {
        return commitAndPush(owner, name, token, metadata -> {
            int n = metadata.totalGenerations() + 1;
            Integer previous = metadata.liveGeneration().isPresent() ? metadata.liveGeneration().getAsInt() : null;
            List<String> command = new ArrayList<>(List.of("flox", change.kind().json()));
            if (change.targets() != null) {
                command.addAll(change.targets());
            }
            Map<String, String> files = new java.util.LinkedHashMap<>();
            files.put(Generation.manifestPath(n), manifestToml);
            if (lockJsonOrNull != null) {
                files.put(Generation.lockPath(n), lockJsonOrNull);
            }
            return new Change(metadata.append(new HistoryEntry(change, author, hostname, command, now(), n, previous)), files, n);
        });
    }

    /**
     * Makes generation {@code n} of {@code owner/name} live through
     * {@code POST /api/v1/environments/{owner}/{name}/generations/{n}/switch} (the token needs writer);
     * the hub appends the history entry.
     */
    public void switchGeneration(String owner, String name, int n, String token) {
        call("POST", "/api/v1/environments/" + owner + "/" + name + "/generations/" + n + "/switch", token, null, 200);
    }

    /**
     * Makes {@code owner/name} {@code "public"} or {@code "private"} through
     * {@code PATCH /api/v1/environments/{owner}/{name}} (the token needs writer).
     */
    public void setVisibility(String owner, String name, String visibility, String token) {
        call("PATCH", "/api/v1/environments/" + owner + "/" + name, token,
                JSON.createObjectNode().put("visibility", visibility).toString(), 200);
    }

    private record Change(GenerationsMetadata metadata, Map<String, String> files, int generation) {}

    /** Fetches the branch (if any), applies {@code change} to its metadata and files, commits and pushes. */
    private int commitAndPush(String owner, String name, String token, java.util.function.Function<GenerationsMetadata, Change> change) {
        String remote = url() + "/git/" + owner + "/floxmeta";
        String ref = "refs/heads/" + name;
        TransportConfigCallback auth = transport -> {
            if (transport instanceof TransportHttp t) {
                // reads never ask for credentials (anonymous may read public environments): send them up front
                t.setAdditionalHeaders(Map.of("Authorization", "Bearer " + token));
            }
        };
        var credentials = new UsernamePasswordCredentialsProvider("oauth", token);
        try {
            Path work = Files.createTempDirectory(workDir, "push-");
            try (Git git = Git.init().setDirectory(work.toFile()).setInitialBranch(name).call()) {
                Collection<Ref> remoteRefs;
                try {
                    remoteRefs = Git.lsRemoteRepository().setRemote(remote).setHeads(true)
                            .setCredentialsProvider(credentials).setTransportConfigCallback(auth).call();
                } catch (org.eclipse.jgit.api.errors.TransportException e) {
                    if (!(e.getCause() instanceof org.eclipse.jgit.errors.NoRemoteRepositoryException)) {
                        throw e;
                    }
                    remoteRefs = List.of(); // the owner's first push creates the repository
                }
                GenerationsMetadata metadata = GenerationsMetadata.empty();
                if (remoteRefs.stream().anyMatch(r -> r.getName().equals(ref))) {
                    git.fetch().setRemote(remote).setRefSpecs(new RefSpec("+" + ref + ":refs/remotes/hub/" + name))
                            .setCredentialsProvider(credentials).setTransportConfigCallback(auth).call();
                    ObjectId tip = git.getRepository().resolve("refs/remotes/hub/" + name);
                    RefUpdate u = git.getRepository().updateRef(ref);
                    u.setNewObjectId(tip);
                    u.forceUpdate();
                    git.reset().setMode(ResetCommand.ResetType.HARD).setRef(ref).call();
                    metadata = GenerationsMetadata.parse(Files.readString(work.resolve(GenerationsMetadata.FILE_NAME)),
                            GenerationsMetadata.FILE_NAME);
                }
                Change c = change.apply(metadata);
                for (Map.Entry<String, String> f : c.files().entrySet()) {
                    Path file = work.resolve(f.getKey());
                    Files.createDirectories(file.getParent());
                    Files.writeString(file, f.getValue());
                }
                Files.writeString(work.resolve(GenerationsMetadata.FILE_NAME), c.metadata().format());
                git.add().addFilepattern(".").call();
                PersonIdent who = new PersonIdent("runninghub", "runninghub@localhost");
                git.commit().setMessage(name + ": generation " + c.generation()).setAuthor(who).setCommitter(who)
                        .setSign(false).call();
                Iterable<PushResult> results = git.push().setRemote(remote).setRefSpecs(new RefSpec(ref + ":" + ref))
                        .setCredentialsProvider(credentials).setTransportConfigCallback(auth).call();
                for (PushResult result : results) {
                    for (RemoteRefUpdate update : result.getRemoteUpdates()) {
                        if (update.getStatus() != RemoteRefUpdate.Status.OK && update.getStatus() != RemoteRefUpdate.Status.UP_TO_DATE) {
                            throw new IllegalStateException("the hub refused the push of " + owner + "/" + name + ": "
                                    + update.getStatus() + " " + update.getMessage() + "\n" + result.getMessages());
                        }
                    }
                }
                return c.generation();
            } finally {
                deleteTree(work);
            }
        } catch (GitAPIException e) {
            throw new IllegalStateException("git push of " + owner + "/" + name + " to " + remote + " failed: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ catalog

    /**
     * A {@code manifest.lock} for {@code manifestToml}, its packages resolved by the hub's catalog
     * ({@code POST /api/v1/catalog/resolve}) for the manifest's systems ({@code options.systems},
     * else Flox's four). A {@code pkg-path} without a slash means {@code <owner>/<pkg-path>}.
     */
    public String lockFor(String owner, String manifestToml, String token) {
        Manifest manifest = Manifest.parse(manifestToml, "manifest.toml");
        JsonNode manifestTree;
        try {
            manifestTree = new TomlMapper().readTree(manifestToml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ObjectNode request = JSON.createObjectNode();
        ArrayNode systems = request.putArray("systems");
        manifest.systems().forEach(systems::add);
        ObjectNode install = request.putObject("install");
        manifest.install().forEach((id, entry) -> {
            if (!(entry instanceof org.imageless.environment.manifest.InstallEntry.Catalog c)) {
                throw new IllegalArgumentException("install." + id + " is not a catalog package (pkg-path): the hub only resolves those");
            }
            ObjectNode e = install.putObject(id);
            e.put("pkg-path", c.pkgPath().contains("/") ? c.pkgPath() : owner + "/" + c.pkgPath());
            if (c.version() != null) {
                e.put("version", c.version());
            }
            if (c.systems() != null) {
                ArrayNode s = e.putArray("systems");
                c.systems().forEach(s::add);
            }
        });
        JsonNode body = call("POST", "/api/v1/catalog/resolve", token, request.toString(), 200);
        ObjectNode lock = JSON.createObjectNode();
        lock.put("lockfile-version", 1);
        lock.set("manifest", manifestTree);
        lock.set("packages", body.get("packages"));
        return lock.toPrettyString() + "\n";
    }

    /**
     * Publishes {@code owner/name} {@code version} with output {@code out} per system
     * ({@code system → store path}) through {@code POST /api/v1/catalog/{owner}/packages/{name}/versions}.
     * The store paths' closures must already be in the hub's cache ({@code nix copy --to <url>/cache}).
     */
    public void publishPackage(String owner, String name, String version, Map<String, String> outputsBySystem, String token) {
        ObjectNode request = JSON.createObjectNode();
        request.put("version", version);
        request.put("description", name + " " + version);
        request.put("license", "MIT");
        ObjectNode systems = request.putObject("systems");
        outputsBySystem.forEach((system, path) -> {
            ObjectNode s = systems.putObject(system);
            s.putObject("outputs").put("out", path);
            s.putArray("outputs_to_install").add("out");
        });
        call("POST", "/api/v1/catalog/" + owner + "/packages/" + name + "/versions", token, request.toString(), 201);
    }

    /**
     * A {@code manifest.lock} (Flox's catalog lock entry fields) that installs, for {@code system}, one
     * package per entry of {@code outByInstallId} (install id → the store path of its {@code out} output),
     * without going through the catalog: for tests that upload store paths and push them directly. The
     * embedded manifest is {@link #manifestOf}'s.
     */
    public static String lockOf(String system, Map<String, String> outByInstallId) {
        ObjectNode lock = JSON.createObjectNode();
        lock.put("lockfile-version", 1);
        ObjectNode manifest = lock.putObject("manifest");
        manifest.put("version", 1);
        ObjectNode install = manifest.putObject("install");
        outByInstallId.keySet().forEach(id -> install.putObject(id).put("pkg-path", id));
        manifest.putObject("options").putArray("systems").add(system);
        ArrayNode packages = lock.putArray("packages");
        outByInstallId.forEach((id, path) -> {
            String name = path.substring(path.indexOf('-') + 1);
            ObjectNode p = packages.addObject();
            p.put("attr_path", id);
            p.put("broken", false);
            p.put("derivation", "/nix/store/" + "0".repeat(32) + "-" + name + ".drv");
            p.put("description", id + " (test package)");
            p.put("install_id", id);
            p.put("license", "MIT");
            p.put("locked_url", "https://example.invalid/test-packages");
            p.put("name", name);
            p.put("pname", id);
            p.put("rev", "0".repeat(40));
            p.put("rev_count", 1);
            p.put("rev_date", "2026-01-01T00:00:00Z");
            p.put("scrape_date", "2026-01-01T00:00:00Z");
            p.put("unfree", false);
            p.put("version", "1.0.0");
            p.putArray("outputs_to_install").add("out");
            p.putObject("outputs").put("out", path);
            p.put("system", system);
            p.put("group", "toplevel");
            p.put("priority", 5);
        });
        return lock.toPrettyString() + "\n";
    }

    /** The {@code manifest.toml} that {@link #lockOf} embeds: the install ids as pkg-paths, for {@code system}. */
    public static String manifestOf(String system, java.util.Collection<String> installIds) {
        return manifest(List.copyOf(installIds), null, null, system);
    }

    /**
     * A {@code manifest.toml} installing catalog packages {@code pkgs} (install id = pkg-path; without a
     * slash {@link #lockFor} reads it as the owner's), with {@code [vars]} (none if null) and an optional
     * {@code on-activate} hook, for {@code systems} (default {@value #SYSTEM}).
     */
    public static String manifest(List<String> pkgs, Map<String, String> vars, String hook, String... systems) {
        StringBuilder t = new StringBuilder("version = 1\n\n[install]\n");
        pkgs.forEach(p -> t.append(p).append(".pkg-path = \"").append(p).append("\"\n"));
        if (vars != null) {
            t.append("\n[vars]\n");
            vars.forEach((k, v) -> t.append(k).append(" = \"").append(v).append("\"\n"));
        }
        if (hook != null) {
            t.append("\n[hook]\non-activate = '''\n").append(hook).append("\n'''\n");
        }
        List<String> s = systems.length == 0 ? List.of(SYSTEM) : List.of(systems);
        t.append("\n[options]\nsystems = [");
        for (int i = 0; i < s.size(); i++) {
            t.append(i == 0 ? "" : ", ").append('"').append(s.get(i)).append('"');
        }
        return t.append("]\n").toString();
    }

    /**
     * {@code nix copy --to <url>/cache<query>} of {@code paths} (and their closures) from {@code nix}'s
     * store, authenticated by a netrc (written into {@code netrcDir}) holding {@code token}; fails with
     * nix's stderr if the copy fails. {@code query} is e.g. {@code ""} or {@code "?compression=none"}.
     */
    public void upload(RealNix nix, Path netrcDir, String token, String query, String... paths) {
        try {
            Path netrc = Files.writeString(netrcDir.resolve("netrc"),
                    "machine 127.0.0.1\nlogin " + whoami(token) + "\npassword " + token + "\n");
            List<String> cmd = new ArrayList<>(List.of("nix", "copy", "--store", nix.storeUri(), "--to", url() + "/cache" + query));
            cmd.addAll(List.of(paths));
            RealNix.Result r = nix.tryRun(cmd, null, Map.of("NIX_CONFIG", RealNix.NIX_CONFIG + "\nnetrc-file = " + netrc));
            if (r.exitCode() != 0) {
                throw new AssertionError("nix copy to the hub failed: " + r.stderr());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ plumbing

    /** The body of an anonymous GET of {@code path} (text, e.g. {@code /metrics}); fails unless it answers 200. */
    public String getText(String path) {
        HttpResponse<String> r;
        try {
            r = http.send(HttpRequest.newBuilder(URI.create(url() + path)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (r.statusCode() != 200) {
            throw new AssertionError("GET " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    /**
     * How many {@code method} requests of {@code route} (the route's template, as /metrics labels it) the hub answered
     * with {@code status}, from its Prometheus {@code /metrics}.
     */
    public long answered(String method, String route, int status) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^floxhub_http_requests_total\\{(.*)} ([0-9.eE+]+)$",
                java.util.regex.Pattern.MULTILINE).matcher(getText("/metrics"));
        long total = 0;
        while (m.find()) {
            String labels = m.group(1);
            if (labels.contains("method=\"" + method + "\"") && labels.contains("route=\"" + route + "\"")
                    && labels.contains("status=\"" + status + "\"")) {
                total += (long) Double.parseDouble(m.group(2));
            }
        }
        return total;
    }

    /** Sends a request with the token (null: anonymous); fails unless the status is {@code expected}. Returns the JSON body. */
    public JsonNode call(String method, String path, String token, String body, int expected) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (token != null) {
            b.header("Authorization", "bearer " + token);
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != expected) {
                throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + " (expected " + expected + "): " + r.body());
            }
            return JSON.readTree(r.body().isEmpty() ? "null" : r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String whoami(String token) {
        return call("GET", "/api/v1/whoami", token, null, 200).path("name").asText();
    }

    private long now() {
        return hub.clock().instant().getEpochSecond();
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            List<Path> all = new ArrayList<>(paths.toList());
            java.util.Collections.reverse(all);
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public void close() {
        try {
            server.stop();
        } finally {
            hub.close();
            http.close();
        }
    }
}
