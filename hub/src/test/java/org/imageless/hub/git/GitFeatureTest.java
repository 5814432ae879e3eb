package org.imageless.hub.git;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.imageless.environment.generation.GenerationsMetadata;
import org.imageless.environment.generation.HistoryEntry;
import org.imageless.hub.Hub;
import org.imageless.hub.account.Role;
import org.imageless.hub.auth.Expiry;
import org.imageless.hub.auth.Visibility;
import org.imageless.hub.server.HubServer;
import org.imageless.hub.testing.Backend;
import org.imageless.hub.testing.FloxmetaWorktree;
import org.imageless.hub.testing.GitCli;
import org.imageless.hub.testing.MutableClock;
import org.imageless.hub.testing.TestHubs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Git smart-HTTP against the real git CLI: pushes of floxmeta branches with tokens, validation
 * messages as git shows them, what each caller can see and fetch. On SQLite; one test on PostgreSQL.
 */
class GitFeatureTest {

    @TempDir
    Path tmp;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-07-01T12:00:00Z"));
    private Hub hub;
    private HubServer server;
    private GitCli git;
    private String writer;
    private String reader;
    private String stranger;

    private void start(Backend backend) {
        hub = TestHubs.open(backend, tmp.resolve("data"), clock);
        hub.accounts().createUser("alice", "alice-password".toCharArray());
        hub.accounts().createUser("rita", "rita-password".toCharArray());
        hub.accounts().createUser("bob", "bob-password".toCharArray());
        hub.accounts().createOrg("acme");
        hub.accounts().addMember("acme", "alice", Role.WRITER);
        hub.accounts().addMember("acme", "rita", Role.READER);
        writer = hub.tokens().createPersonal("alice", "laptop", Expiry.parse("30d")).secret();
        reader = hub.tokens().createPersonal("rita", "laptop", Expiry.parse("30d")).secret();
        stranger = hub.tokens().createPersonal("bob", "laptop", Expiry.parse("30d")).secret();
        server = HubServer.start(hub, "127.0.0.1", 0, List.of());
        git = new GitCli(tmp.resolve("home"));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
        if (hub != null) {
            hub.close();
        }
    }

    private String url() {
        return "http://127.0.0.1:" + server.port() + "/git/acme/floxmeta";
    }

    /** The URL with {@code oauth:<token>}: git sends it after the hub's 401. */
    private String url(String token) {
        return "http://oauth:" + token + "@127.0.0.1:" + server.port() + "/git/acme/floxmeta";
    }

    /** Reads send credentials up front (reads never answer 401, anonymous may read public environments). */
    private static String[] bearer(String token) {
        return new String[] {"-c", "http.extraHeader=Authorization: Bearer " + token};
    }

    private FloxmetaWorktree pushed(String env) {
        FloxmetaWorktree w = FloxmetaWorktree.init(git, tmp.resolve("work-" + env), env).addGeneration();
        GitCli.Result r = w.push(url(writer));
        assertThat(r.ok()).as(r.output()).isTrue();
        return w;
    }

    private String lsRemote(String... config) {
        List<String> args = new java.util.ArrayList<>(List.of(config));
        args.addAll(List.of("ls-remote", url()));
        GitCli.Result r = git.run(tmp, args.toArray(String[]::new));
        assertThat(r.ok()).as(r.output()).isTrue();
        return r.output();
    }

    @Test
    void aWritersPushIsAcceptedRecordedAndReadableThroughTheService() {
        start(Backend.SQLITE);
        FloxmetaWorktree w = pushed("web");

        assertThat(hub.environments().find("acme", "web")).hasValueSatisfying(e -> {
            assertThat(e.visibility()).isEqualTo(Visibility.PUBLIC);
            assertThat(e.createdAt()).isEqualTo(clock.instant());
        });
        assertThat(hub.environments().list("acme")).extracting(e -> e.name()).containsExactly("web");
        assertThat(hub.environments().liveGeneration("acme", "web")).isEqualTo(1);
        assertThat(hub.environments().manifestText("acme", "web", 1)).isEqualTo(FloxmetaWorktree.MANIFEST);
        assertThat(hub.environments().lockText("acme", "web", 1)).hasValue(FloxmetaWorktree.LOCK);
        assertThat(hub.environments().generation("acme", "web", 1).lock()).isNotNull();
        assertThat(hub.environments().metadata("acme", "web")).isEqualTo(w.metadata);
        assertThat(tmp.resolve("data/git/acme/floxmeta.git/HEAD")).exists();

        w.addGeneration();
        GitCli.Result second = w.push(url(writer));
        assertThat(second.ok()).as(second.output()).isTrue();
        assertThat(hub.environments().liveGeneration("acme", "web")).isEqualTo(2);
    }

    @Test
    void membersSeeEveryBranchAndOthersOnlyPublicOnes() {
        start(Backend.SQLITE);
        pushed("web");
        FloxmetaWorktree secret = pushed("secret");
        hub.environments().setVisibility("acme", "secret", Visibility.PRIVATE);

        assertThat(lsRemote(bearer(reader))).contains("refs/heads/web", "refs/heads/secret");
        assertThat(lsRemote(bearer(writer))).contains("refs/heads/web", "refs/heads/secret");
        assertThat(lsRemote()).contains("refs/heads/web").doesNotContain("secret");
        assertThat(lsRemote(bearer(stranger))).contains("refs/heads/web").doesNotContain("secret");

        FloxmetaWorktree cloned = FloxmetaWorktree.cloneOf(git, url(), tmp.resolve("anonymous-clone"), "web");
        assertThat(cloned.read("1/env/manifest.toml")).isEqualTo(FloxmetaWorktree.MANIFEST);
        FloxmetaWorktree member = FloxmetaWorktree.cloneOf(git, url(), tmp.resolve("member-clone"), "secret", bearer(reader));
        assertThat(member.head()).isEqualTo(secret.head());
    }

    @Test
    void aPrivateBranchsCommitCannotBeFetchedByIdByNonMembers() {
        start(Backend.SQLITE);
        String visible = pushed("web").head();
        String hidden = pushed("secret").head();
        assertThat(hidden).isNotEqualTo(visible);
        hub.environments().setVisibility("acme", "secret", Visibility.PRIVATE);
        Path repo = tmp.resolve("fetcher");
        git.ok(tmp, "init", "-q", repo.toString());

        for (String[] who : List.of(new String[0], bearer(stranger))) {
            for (String version : List.of("2", "0")) {
                List<String> args = new java.util.ArrayList<>(List.of(who));
                args.addAll(List.of("-c", "protocol.version=" + version, "fetch", url(), hidden));
                GitCli.Result r = git.run(repo, args.toArray(String[]::new));
                assertThat(r.ok()).as(r.output()).isFalse();
                assertThat(git.run(repo, "cat-file", "-e", hidden).ok()).isFalse();
            }
        }
        GitCli.Result member = git.run(repo, "-c", "http.extraHeader=Authorization: Bearer " + reader, "fetch", url(), hidden);
        assertThat(member.ok()).as(member.output()).isTrue();
    }

    @Test
    void readersAnonymousCallersAndStrangersCannotPush() {
        start(Backend.SQLITE);
        FloxmetaWorktree w = FloxmetaWorktree.init(git, tmp.resolve("work"), "web").addGeneration();

        GitCli.Result byReader = w.push(url(reader));
        assertThat(byReader.ok()).isFalse();
        assertThat(byReader.output()).contains("403");
        GitCli.Result byStranger = w.push(url(stranger));
        assertThat(byStranger.ok()).isFalse();
        assertThat(byStranger.output()).contains("403");
        GitCli.Result anonymous = w.push(url());
        assertThat(anonymous.ok()).isFalse();
        assertThat(anonymous.output()).containsIgnoringCase("could not read Username");

        assertThat(tmp.resolve("data/git/acme/floxmeta.git")).doesNotExist();
        assertThat(hub.environments().list("acme")).isEmpty();
    }

    @Test
    void refusesMetadataThatDoesNotParse() {
        start(Backend.SQLITE);
        FloxmetaWorktree w = FloxmetaWorktree.init(git, tmp.resolve("work"), "web").addGeneration();
        w.write("metadata.json", "{\"version\": 2, \"history\": \"nope\"}").commit("broken");

        GitCli.Result r = w.push(url(writer));

        assertThat(r.ok()).isFalse();
        assertThat(r.output()).contains("! [remote rejected] web -> web (metadata.json").contains("remote: refused refs/heads/web");
        assertThat(hub.environments().list("acme")).isEmpty();
    }

    @Test
    void refusesAManifestWithAnUnknownKeyNamingFileLineAndKey() {
        start(Backend.SQLITE);
        FloxmetaWorktree w = FloxmetaWorktree.init(git, tmp.resolve("work"), "web")
                .addGeneration("version = 1\n\n[install]\ngh.pkg-path = \"gh\"\ngh.colour = \"red\"\n", null);

        GitCli.Result r = w.push(url(writer));

        assertThat(r.ok()).isFalse();
        assertThat(r.output()).contains("! [remote rejected] web -> web (1/env/manifest.toml:5: 'install.gh.colour': unknown key")
                .contains("remote: refused refs/heads/web: 1/env/manifest.toml:5: 'install.gh.colour'");
    }

    @Test
    void refusesAMissingGenerationDirectoryAndUnreferencedFiles() {
        start(Backend.SQLITE);
        FloxmetaWorktree w = FloxmetaWorktree.init(git, tmp.resolve("work"), "web").addGeneration();
        git.ok(w.dir, "rm", "-q", "-r", "1");
        w.write("notes.txt", "hello\n").commit("lose generation 1");

        GitCli.Result r = w.push(url(writer));

        assertThat(r.ok()).isFalse();
        assertThat(r.output()).contains("[remote rejected]").contains("missing: 1/env/manifest.toml")
                .contains("not referenced by any generation: notes.txt");
    }

    @Test
    void refusesRewrittenHistoryAndChangedGenerations() {
        start(Backend.SQLITE);
        FloxmetaWorktree w = pushed("web");
        // a new commit on top (a fast-forward) whose metadata rewrites the first entry
        GenerationsMetadata rewritten = GenerationsMetadata.empty().append(new HistoryEntry(
                HistoryEntry.Change.install(List.of("jq")), "mallory", "elsewhere", 1_600_000_000L, 1, null));
        w.write("metadata.json", rewritten.format()).commit("rewrite");

        GitCli.Result r = w.push(url(writer));
        assertThat(r.ok()).isFalse();
        assertThat(r.output()).contains("[remote rejected]").contains("history[0] was changed");

        git.ok(w.dir, "reset", "-q", "--hard", "HEAD~1");
        w.write("1/env/manifest.toml", FloxmetaWorktree.MANIFEST + "\n# edited\n").commit("edit in place");
        GitCli.Result edited = w.push(url(writer));
        assertThat(edited.ok()).isFalse();
        assertThat(edited.output()).contains("1/env/manifest.toml was changed: published generations are immutable");
    }

    @Test
    void refusesANonFastForwardSayingWhatToDo() {
        start(Backend.SQLITE);
        FloxmetaWorktree first = pushed("web");
        FloxmetaWorktree other = FloxmetaWorktree.cloneOf(git, url(), tmp.resolve("other"), "web");
        first.addGeneration();
        assertThat(first.push(url(writer)).ok()).isTrue();
        other.addGeneration(FloxmetaWorktree.MANIFEST.replace("jq.pkg-path", "yq.pkg-path"), null);

        GitCli.Result forced = other.push(url(writer), "--force");

        assertThat(forced.ok()).isFalse();
        assertThat(forced.output()).contains("[remote rejected]")
                .contains("pull the environment, re-apply your change, push again");
        assertThat(hub.environments().head("acme", "web").commit().name()).isEqualTo(first.head());
    }

    @Test
    void refusesDeletingABranch() {
        start(Backend.SQLITE);
        FloxmetaWorktree w = pushed("web");

        GitCli.Result r = git.run(w.dir, "push", url(writer), ":web");

        assertThat(r.ok()).isFalse();
        assertThat(r.output()).contains("[remote rejected]").contains("DELETE /api/v1/environments/acme/web");
        assertThat(hub.environments().head("acme", "web").commit().name()).isEqualTo(w.head());
    }

    @Test
    void ofTwoConcurrentPushesExactlyOneWins() throws Exception {
        start(Backend.SQLITE);
        pushed("web");
        FloxmetaWorktree a = FloxmetaWorktree.cloneOf(git, url(), tmp.resolve("a"), "web").addGeneration();
        FloxmetaWorktree b = FloxmetaWorktree.cloneOf(git, url(), tmp.resolve("b"), "web")
                .addGeneration(FloxmetaWorktree.MANIFEST.replace("jq.pkg-path", "yq.pkg-path"), null);
        CountDownLatch go = new CountDownLatch(1);
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Callable<GitCli.Result> pushA = () -> {
                go.await();
                return a.push(url(writer));
            };
            Callable<GitCli.Result> pushB = () -> {
                go.await();
                return b.push(url(writer));
            };
            Future<GitCli.Result> ra = pool.submit(pushA);
            Future<GitCli.Result> rb = pool.submit(pushB);
            go.countDown();
            GitCli.Result resultA = ra.get();
            GitCli.Result resultB = rb.get();

            assertThat(resultA.ok() ^ resultB.ok()).as(resultA.output() + "\n---\n" + resultB.output()).isTrue();
            String winner = resultA.ok() ? a.head() : b.head();
            assertThat(hub.environments().head("acme", "web").commit().name()).isEqualTo(winner);
        }
    }

    @Test
    void aPushCutOffMidTransferLeavesTheBranchUnchanged() throws Exception {
        start(Backend.SQLITE);
        FloxmetaWorktree w = pushed("web");
        String before = w.head();
        w.addGeneration();
        String after = w.head();
        // a pack that the client never finishes: the commands, then the start of a pack, then the connection closes
        String command = before + " " + after + " refs/heads/web\0 report-status side-band-64k\n";
        byte[] body = (pkt(command) + "0000").getBytes(StandardCharsets.UTF_8);
        byte[] partialPack = {'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 3, (byte) 0x91, 0x0a};
        String auth = Base64.getEncoder().encodeToString(("oauth:" + writer).getBytes(StandardCharsets.UTF_8));
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /git/acme/floxmeta/git-receive-pack HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Basic " + auth + "\r\n"
                    + "Content-Type: application/x-git-receive-pack-request\r\n"
                    + "Content-Length: 100000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.write(partialPack);
            out.flush();
            Thread.sleep(300);
        }
        Thread.sleep(500);

        assertThat(hub.environments().head("acme", "web").commit().name()).isEqualTo(before);
        assertThat(hub.environments().liveGeneration("acme", "web")).isEqualTo(1);
        GitCli.Result retry = w.push(url(writer));
        assertThat(retry.ok()).as(retry.output()).isTrue();
        assertThat(hub.environments().head("acme", "web").commit().name()).isEqualTo(after);
    }

    @Test
    void theDoorAsksForCredentialsToPushReadsRevokedTokensAsAnonymousAndDoesNotServeDumbHttp() throws Exception {
        start(Backend.SQLITE);
        pushed("web");
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + server.port() + "/git/acme/floxmeta";
        var revoked = hub.tokens().createPersonal("alice", "old", Expiry.parse("30d"));
        hub.tokens().revoke(revoked.info().id());

        HttpResponse<String> push = http.send(HttpRequest.newBuilder(URI.create(base + "/info/refs?service=git-receive-pack")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(push.statusCode()).isEqualTo(401);
        assertThat(push.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"floxhub\"");

        HttpResponse<String> read = http.send(HttpRequest.newBuilder(URI.create(base + "/info/refs?service=git-upload-pack"))
                .header("Authorization", "Bearer " + revoked.secret()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.headers().firstValue("Warning")).get().asString().contains("revoked", "served as anonymous");
        HttpResponse<String> revokedPush = http.send(HttpRequest.newBuilder(URI.create(base + "/info/refs?service=git-receive-pack"))
                .header("Authorization", "Bearer " + revoked.secret()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(revokedPush.statusCode()).isEqualTo(401);
        assertThat(revokedPush.body()).contains("revoked");

        for (String dumb : List.of("/info/refs", "/HEAD", "/objects/info/packs", "/refs/heads/web")) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + dumb)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(dumb).isEqualTo(404);
        }
        HttpResponse<String> noRepo = http.send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + server.port() + "/git/bob/floxmeta/info/refs?service=git-upload-pack")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(noRepo.statusCode()).isEqualTo(404);
        assertThat(tmp.resolve("data/git/bob")).doesNotExist();
    }

    @Test
    void pushesAndAnonymousClonesWorkOnPostgresql() {
        start(Backend.POSTGRESQL);
        FloxmetaWorktree w = pushed("web");
        FloxmetaWorktree cloned = FloxmetaWorktree.cloneOf(git, url(), tmp.resolve("clone"), "web");
        assertThat(cloned.head()).isEqualTo(w.head());
        hub.environments().setVisibility("acme", "web", Visibility.PRIVATE);
        assertThat(lsRemote()).doesNotContain("refs/heads/web");
        w.addGeneration();
        assertThat(w.push(url(writer)).ok()).isTrue();
        assertThat(hub.environments().find("acme", "web")).hasValueSatisfying(e ->
                assertThat(e.visibility()).isEqualTo(Visibility.PRIVATE));
    }

    private static String pkt(String line) {
        return "%04x".formatted(line.getBytes(StandardCharsets.UTF_8).length + 4) + line;
    }
}
