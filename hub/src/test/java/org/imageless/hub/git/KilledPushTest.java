package org.imageless.hub.git;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.imageless.environment.generation.Generation;
import org.imageless.environment.generation.GenerationsMetadata;
import org.imageless.environment.manifest.Manifest;
import org.imageless.hub.Hub;
import org.imageless.hub.account.Role;
import org.imageless.hub.auth.Expiry;
import org.imageless.hub.testing.Backend;
import org.imageless.hub.testing.FloxmetaWorktree;
import org.imageless.hub.testing.GitCli;
import org.imageless.hub.testing.TestHubs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code floxhub serve} (a child JVM) killed with SIGKILL at random moments of a real
 * {@code git push}, then restarted on the same data directory: the branch is the old tip or the new
 * one, never a half-written generation; what git serves passes the hub's own validation; the REST API
 * agrees with the branch (also for an environment whose first push was cut); the next push works.
 */
class KilledPushTest {

    private static final Pattern SERVING = Pattern.compile("floxhub serving .* on http://127\\.0\\.0\\.1:(\\d+)");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int KILLS = 8;

    @TempDir
    Path tmp;

    private Process hub;
    private int port;
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() throws InterruptedException {
        if (hub != null) {
            hub.destroyForcibly();
            hub.waitFor(30, TimeUnit.SECONDS);
        }
        http.close();
    }

    @Test
    void aHubKilledDuringAPushKeepsTheOldOrTheNewGenerationAndAcceptsTheNextPush() throws Exception {
        Started st = startWithWebPushed();
        Path data = st.data();
        String token = st.token();
        GitCli git = st.git();
        FloxmetaWorktree web = st.web();

        long seed = System.nanoTime();
        Random random = new Random(seed);
        for (int i = 0; i < KILLS; i++) {
            // even kills cut a push of the next generation of web; odd ones the first push of a new environment
            boolean fresh = i % 2 == 1;
            FloxmetaWorktree w = fresh
                    ? FloxmetaWorktree.init(git, tmp.resolve("work-new" + i), "new" + i).addGeneration()
                    : web.addGeneration();
            String oldTip = remoteTip(git, w.branch);
            String newTip = w.head();
            CompletableFuture<GitCli.Result> push = CompletableFuture.supplyAsync(() -> w.push(pushUrl(token)));
            // kills spread over a push's ~0-200 ms (connect, receive the pack, validate, move the ref, record), jittered
            long delay = i * 25L + random.nextInt(25);
            Thread.sleep(delay);
            hub.destroyForcibly();
            assertThat(hub.waitFor(30, TimeUnit.SECONDS)).isTrue();
            GitCli.Result pushed = push.get(120, TimeUnit.SECONDS);

            String context = "kill " + i + " after " + delay + " ms (seed " + seed + ") of the push of " + w.branch;
            startHub(data);
            String tip = remoteTip(git, w.branch);
            assertThat(tip).as(context).isIn(oldTip, newTip);
            assertConsistent(git, w.branch, tip, context + ", tip " + tip);
            System.out.printf("%s: git push %s, the branch has the %s tip%n", context,
                    pushed.ok() ? "succeeded" : "failed", newTip.equals(tip) ? "new" : "old");

            FloxmetaWorktree next = w.addGeneration();
            assertPushed(next.push(pushUrl(token)));
            assertThat(remoteTip(git, w.branch)).as(context + ": the next push").isEqualTo(next.head());
            assertConsistent(git, w.branch, next.head(), context + ": after the next push");
        }
    }

    @Test
    void aBranchLockLeftByAKilledHubIsRemovedWhenTheHubStartsAgain() throws Exception {
        // the kill loop above hits this window only now and then: a hub killed between git's writing
        // refs/heads/<branch>.lock and renaming it over the branch
        Started st = startWithWebPushed();
        hub.destroyForcibly();
        assertThat(hub.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Path lock = Files.writeString(st.data().resolve("git/acme/floxmeta.git/refs/heads/web.lock"), st.web().head() + "\n");

        startHub(st.data());

        assertThat(lock).doesNotExist();
        FloxmetaWorktree next = st.web().addGeneration();
        assertPushed(next.push(pushUrl(st.token())));
        assertThat(remoteTip(st.git(), "web")).isEqualTo(next.head());
    }

    private record Started(Path data, String token, GitCli git, FloxmetaWorktree web) {}

    /** A served hub whose data has alice, a writer of acme, and acme/web with one generation pushed by her. */
    private Started startWithWebPushed() throws Exception {
        Path data = tmp.resolve("data");
        String token;
        try (Hub h = TestHubs.open(Backend.SQLITE, data, Clock.systemUTC())) {
            h.accounts().createUser("alice", "alice-password".toCharArray());
            h.accounts().createOrg("acme");
            h.accounts().addMember("acme", "alice", Role.WRITER);
            token = h.tokens().createPersonal("alice", "laptop", Expiry.NEVER).secret();
        }
        GitCli git = new GitCli(tmp.resolve("home"));
        startHub(data);
        FloxmetaWorktree web = FloxmetaWorktree.init(git, tmp.resolve("work-web"), "web").addGeneration();
        assertPushed(web.push(pushUrl(token)));
        return new Started(data, token, git, web);
    }

    /** The branch at {@code tip} (null: absent) is served whole by git and by the REST API. */
    private void assertConsistent(GitCli git, String env, String tip, String context) throws Exception {
        HttpResponse<String> live = http.send(HttpRequest.newBuilder(
                        URI.create(base() + "/api/v1/environments/acme/" + env + "/generations/live")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (tip == null) {
            assertThat(live.statusCode()).as(context + ": " + live.body()).isEqualTo(404);
            return;
        }
        Path clone = Files.createTempDirectory(tmp, "clone-");
        git.ok(tmp, "clone", "-q", "-b", env, base() + "/git/acme/floxmeta", clone.toString());
        assertThat(git.ok(clone, "rev-parse", "HEAD").strip()).as(context).isEqualTo(tip);
        GenerationsMetadata metadata = GenerationsMetadata.parse(
                Files.readString(clone.resolve(GenerationsMetadata.FILE_NAME)), GenerationsMetadata.FILE_NAME);
        Set<String> paths;
        try (Stream<Path> files = Files.walk(clone)) {
            paths = files.filter(Files::isRegularFile).map(p -> clone.relativize(p).toString())
                    .filter(p -> !p.startsWith(".git/")).collect(Collectors.toSet());
        }
        assertThat(metadata.checkTree(paths).ok()).as(context + ": " + metadata.checkTree(paths)).isTrue();
        for (int n : metadata.generations()) {
            Manifest.parse(Files.readString(clone.resolve(Generation.manifestPath(n))), Generation.manifestPath(n));
        }
        assertThat(live.statusCode()).as(context + ": " + live.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(live.body());
        assertThat(body.path("generation").asInt()).as(context).isEqualTo(metadata.liveGeneration().getAsInt());
    }

    private static void assertPushed(GitCli.Result r) {
        assertThat(r.ok()).as(r.output()).isTrue();
    }

    /** The hub's tip of {@code env}'s branch, or null when it has none. */
    private String remoteTip(GitCli git, String env) {
        String out = git.ok(tmp, "ls-remote", base() + "/git/acme/floxmeta", "refs/heads/" + env).strip();
        return out.isEmpty() ? null : out.split("\\s+")[0];
    }

    private String base() {
        return "http://127.0.0.1:" + port;
    }

    private String pushUrl(String token) {
        return "http://oauth:" + token + "@127.0.0.1:" + port + "/git/acme/floxmeta";
    }

    /** Starts {@code floxhub serve} on {@code data} and waits for its "serving" line (the port). */
    private void startHub(Path data) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "org.imageless.hub.FloxHub", "serve", "--data", data.toString(), "--listen", "127.0.0.1:0")
                .redirectErrorStream(true);
        pb.environment().remove("FLOXHUB_DB_URL");
        hub = pb.start();
        CompletableFuture<Integer> serving = new CompletableFuture<>();
        StringBuilder log = new StringBuilder();
        Process p = hub;
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (log) {
                        log.append(line).append('\n');
                    }
                    Matcher m = SERVING.matcher(line);
                    if (m.find()) {
                        serving.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException e) {
                // the process was killed
            }
            serving.completeExceptionally(new IllegalStateException("floxhub serve exited before serving"));
        });
        try {
            port = serving.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            synchronized (log) {
                throw new AssertionError("floxhub serve did not start: " + e.getMessage() + "\n" + log, e);
            }
        }
    }
}
