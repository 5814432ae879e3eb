package org.imageless.hub.environment;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.imageless.hub.testing.Backend;
import org.imageless.hub.testing.RunningHub;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The environments REST API (contract C1) against a served hub, on SQLite and PostgreSQL:
 * alice owns {@code acme}, walt writes, rita reads, bob is outside; generations are pushed over git.
 */
class EnvironmentApiTest {

    static final String MANIFEST = """
            version = 1

            [install]
            gh.pkg-path = "gh"
            jq.pkg-path = "jq"
            jq.version = "^1.7"

            [vars]
            GREETING = "hello"

            [hook]
            on-activate = "echo hi"

            [profile]
            bash = "alias ll='ls -l'"

            [options]
            systems = ["x86_64-linux", "aarch64-linux"]
            """;
    static final String LOCK = """
            {
              "lockfile-version": 1,
              "manifest": {"version": 1, "install": {"gh": {"pkg-path": "gh"}}},
              "packages": [
                {"attr_path": "gh", "install_id": "gh", "pname": "gh", "version": "2.60.1", "system": "x86_64-linux", "group": "toplevel",
                 "derivation": "/nix/store/1a9an6x3zvwdb4bzwfzr4vc4x5n16ikm-gh-2.60.1.drv", "locked_url": "https://github.com/flox/nixpkgs?rev=d407951447dcd00442e97087bf374aad70c04cea",
                 "name": "gh-2.60.1", "rev": "d407951447dcd00442e97087bf374aad70c04cea", "rev_count": 1, "rev_date": "2026-07-05T04:06:12Z",
                 "scrape_date": "2026-07-06T03:41:21Z",
                 "priority": 5, "outputs": {"out": "/nix/store/0a9an6x3zvwdb4bzwfzr4vc4x5n16ikm-gh-2.60.1"}, "outputs_to_install": ["out"]}
              ]
            }
            """;

    @TempDir
    Path tmp;

    private final JsonMapper json = JsonMapper.builder().build();
    private final HttpClient http = HttpClient.newHttpClient();
    private RunningHub hub;
    private String alice;
    private String walt;
    private String rita;
    private String bob;

    private void start(Backend backend) {
        hub = RunningHub.start(backend, tmp.resolve("hub"));
        alice = hub.createUser("alice");
        walt = hub.createUser("walt");
        rita = hub.createUser("rita");
        bob = hub.createUser("bob");
        hub.createOrg("acme", "alice");
        hub.addMember("acme", "walt", "writer");
        hub.addMember("acme", "rita", "reader");
    }

    @AfterEach
    void stop() {
        if (hub != null) {
            hub.close();
        }
        http.close();
    }

    record Response(int status, JsonNode body, HttpResponse<String> raw) {
        String error() {
            return body.path("error").asText();
        }
    }

    private Response send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hub.url() + "/api/v1/environments" + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "bearer " + token);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), json.readTree(r.body().isEmpty() ? "null" : r.body()), r);
    }

    private Response get(String path, String token) throws Exception {
        return send("GET", path, token, null);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void summaryGenerationsAndHistoryDescribeWhatWasPushed(Backend backend) throws Exception {
        start(backend);
        hub.pushGeneration("acme", "web", MANIFEST, LOCK, walt);
        hub.pushGeneration("acme", "web", MANIFEST.replace("GREETING = \"hello\"", "GREETING = \"bye\""), null, walt);

        Response summary = get("/acme/web", null);
        assertThat(summary.status()).as(summary.body().toString()).isEqualTo(200);
        JsonNode s = summary.body();
        assertThat(s.path("owner").asText()).isEqualTo("acme");
        assertThat(s.path("name").asText()).isEqualTo("web");
        assertThat(s.path("visibility").asText()).isEqualTo("public");
        assertThat(s.path("live_generation").asInt()).isEqualTo(2);
        assertThat(s.path("systems").toString()).isEqualTo("[\"x86_64-linux\",\"aarch64-linux\"]");
        assertThat(s.path("vars").toString()).isEqualTo("{\"GREETING\":\"bye\"}");
        assertThat(s.path("hook").path("on_activate").asText()).isEqualTo("echo hi");
        assertThat(s.path("profile").path("bash").asText()).isEqualTo("alias ll='ls -l'");
        assertThat(s.path("profile").path("zsh").isNull()).isTrue();
        assertThat(s.path("packages").get(0).path("install_id").asText()).isEqualTo("gh");
        assertThat(s.path("created_at").asText()).endsWith("Z");

        hub.switchGeneration("acme", "web", 1, alice);
        JsonNode afterSwitch = get("/acme/web", null).body();
        assertThat(afterSwitch.path("live_generation").asInt()).isEqualTo(1);
        JsonNode gh = afterSwitch.path("packages").get(0);
        assertThat(gh.path("pkg_path").asText()).isEqualTo("gh");
        assertThat(gh.path("version").asText()).isEqualTo("2.60.1");
        assertThat(gh.path("systems").toString()).isEqualTo("[\"x86_64-linux\"]");
        assertThat(afterSwitch.path("packages").get(1).path("version").isNull()).as("jq is not in the lock").isTrue();

        JsonNode generations = get("/acme/web/generations", rita).body().path("generations");
        assertThat(generations).hasSize(2);
        assertThat(generations.get(0).path("generation").asInt()).isEqualTo(1);
        assertThat(generations.get(0).path("live").asBoolean()).isTrue();
        assertThat(generations.get(0).path("last_live").isNull()).as("live now").isTrue();
        assertThat(generations.get(0).path("author").asText()).isEqualTo("walt");
        assertThat(generations.get(0).path("hostname").asText()).isEqualTo(RunningHub.HOSTNAME);
        assertThat(generations.get(0).path("command").asText()).isEqualTo("flox install gh jq");
        assertThat(generations.get(0).path("description").asText()).isEqualTo("installed packages 'gh', 'jq'");
        assertThat(generations.get(1).path("live").asBoolean()).isFalse();
        assertThat(generations.get(1).path("last_live").asText()).as("until the switch").endsWith("Z");

        Response live = get("/acme/web/generations/live", null);
        assertThat(live.body().path("generation").asInt()).isEqualTo(1);
        assertThat(live.body().path("live").asBoolean()).isTrue();
        assertThat(live.body().path("manifest").asText()).isEqualTo(MANIFEST);
        assertThat(live.body().path("lock").path("packages").get(0).path("version").asText()).isEqualTo("2.60.1");
        assertThat(live.body().path("created").path("author").asText()).isEqualTo("walt");
        assertThat(live.body().path("created").path("timestamp").isIntegralNumber()).isTrue();
        Response two = get("/acme/web/generations/2", null);
        assertThat(two.body().path("live").asBoolean()).isFalse();
        assertThat(two.body().path("lock").isNull()).isTrue();
        assertThat(two.body().path("manifest").asText()).contains("bye");

        JsonNode history = get("/acme/web/history", null).body().path("history");
        assertThat(history).hasSize(3);
        JsonNode hubMade = history.get(2);
        assertThat(hubMade.path("kind").asText()).isEqualTo("switch_generation");
        assertThat(hubMade.path("author").asText()).isEqualTo("alice");
        assertThat(hubMade.path("hostname").asText()).isEqualTo(Environments.HUB_HOSTNAME);
        assertThat(hubMade.path("current_generation").asText()).isEqualTo("1");
        assertThat(hubMade.path("previous_generation").asText()).isEqualTo("2");
        assertThat(hub.hub().environments().metadata("acme", "web").history().get(2).command())
                .as("hub-made entries have no command").isNull();

        // a push after a hub-made switch appends to it (the switch is an ordinary commit on the branch)
        assertThat(hub.pushGeneration("acme", "web", MANIFEST, null, walt)).isEqualTo(3);
        assertThat(get("/acme/web", null).body().path("live_generation").asInt()).isEqualTo(3);
        Response again = send("POST", "/acme/web/generations/3/switch", walt, null);
        assertThat(again.status()).as("switching to the live generation changes nothing").isEqualTo(200);
        assertThat(get("/acme/web/history", null).body().path("history")).hasSize(4);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void privateEnvironmentsAreReadOnlyByMembersAndDenialsSayWhy(Backend backend) throws Exception {
        start(backend);
        hub.pushGeneration("acme", "web", MANIFEST, null, walt);
        hub.pushGeneration("acme", "secret", MANIFEST, null, walt);
        hub.setVisibility("acme", "secret", "private", walt);

        assertThat(names(get("/acme", null))).containsExactly("web");
        assertThat(names(get("/acme", bob))).containsExactly("web");
        assertThat(names(get("/acme", rita))).containsExactly("secret", "web");
        JsonNode entry = get("/acme", rita).body().path("environments").get(0);
        assertThat(entry.path("visibility").asText()).isEqualTo("private");
        assertThat(entry.path("live_generation").asInt()).isEqualTo(1);

        Response anonymous = get("/acme/secret", null);
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.error()).contains("sign in", "Authorization: bearer");
        Response stranger = get("/acme/secret/generations", bob);
        assertThat(stranger.status()).isEqualTo(403);
        assertThat(stranger.error()).contains("bob may not read private environments of 'acme'");
        assertThat(get("/acme/secret/history", rita).status()).isEqualTo(200);

        String expired = hub.expiredToken("rita");
        String revoked = hub.revokedToken("rita");
        Response expiredPrivate = get("/acme/secret", expired);
        assertThat(expiredPrivate.status()).isEqualTo(401);
        assertThat(expiredPrivate.error()).contains("token expired on");
        Response revokedPrivate = get("/acme/secret/generations/live", revoked);
        assertThat(revokedPrivate.status()).isEqualTo(401);
        assertThat(revokedPrivate.error()).contains("was revoked on");
        for (String stale : List.of(expired, revoked)) {
            Response pub = get("/acme/web", stale);
            assertThat(pub.status()).isEqualTo(200);
            assertThat(pub.raw().headers().firstValue("Warning")).get().asString()
                    .startsWith("299 floxhub \"").contains("served as anonymous");
            assertThat(names(get("/acme", stale))).containsExactly("web");
        }

        assertThat(get("/nobody", null).status()).isEqualTo(404);
        assertThat(get("/acme/nothing", alice).error()).contains("environment 'acme/nothing' does not exist");
        assertThat(get("/acme/web/generations/7", null).error()).contains("has no generation 7");
        assertThat(get("/acme/web/generations/seven", null).status()).isEqualTo(400);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void visibilityAndSwitchNeedAWriterAndDeleteNeedsTheOwner(Backend backend) throws Exception {
        start(backend);
        hub.pushGeneration("acme", "web", MANIFEST, null, walt);
        hub.pushGeneration("acme", "web", MANIFEST, null, walt);

        Response byReader = send("PATCH", "/acme/web", rita, "{\"visibility\": \"private\"}");
        assertThat(byReader.status()).isEqualTo(403);
        assertThat(byReader.error()).contains("rita may not write to 'acme' (role: reader)");
        assertThat(send("PATCH", "/acme/web", null, "{\"visibility\": \"private\"}").status()).isEqualTo(401);
        Response bad = send("PATCH", "/acme/web", walt, "{\"visibility\": \"secret\"}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.error()).contains("visibility 'secret' is not one of public, private");
        assertThat(send("PATCH", "/acme/web", walt, "{\"visibility\": \"private\", \"x\": 1}").status()).isEqualTo(400);
        Response patched = send("PATCH", "/acme/web", walt, "{\"visibility\": \"private\"}");
        assertThat(patched.status()).isEqualTo(200);
        assertThat(patched.body().path("visibility").asText()).isEqualTo("private");

        Response switchByReader = send("POST", "/acme/web/generations/1/switch", rita, null);
        assertThat(switchByReader.status()).isEqualTo(403);
        Response switchByStranger = send("POST", "/acme/web/generations/1/switch", bob, null);
        assertThat(switchByStranger.status()).isEqualTo(403);
        assertThat(send("POST", "/acme/web/generations/9/switch", walt, null).status()).isEqualTo(404);
        Response switched = send("POST", "/acme/web/generations/1/switch", walt, null);
        assertThat(switched.status()).isEqualTo(200);
        assertThat(switched.body().path("live_generation").asInt()).isEqualTo(1);

        Response deleteByWriter = send("DELETE", "/acme/web", walt, null);
        assertThat(deleteByWriter.status()).isEqualTo(403);
        assertThat(deleteByWriter.error()).contains("deleting needs the owner role");
        assertThat(send("DELETE", "/acme/web", alice, null).status()).isEqualTo(204);
        assertThat(get("/acme/web", alice).status()).isEqualTo(404);
        assertThat(names(get("/acme", alice))).isEmpty();
        assertThat(hub.hub().environments().store().head("acme", "web")).isEmpty();
        assertThat(send("DELETE", "/acme/web", alice, null).status()).isEqualTo(404);
        // the name can be used again: a new environment, public, from generation 1
        assertThat(hub.pushGeneration("acme", "web", MANIFEST, null, walt)).isEqualTo(1);
        assertThat(get("/acme/web", null).body().path("visibility").asText()).isEqualTo("public");
    }

    @org.junit.jupiter.api.Test
    void concurrentSwitchesAndPushesAllLandInOneConsistentHistory() throws Exception {
        start(Backend.SQLITE);
        hub.pushGeneration("acme", "web", MANIFEST, null, walt);
        hub.pushGeneration("acme", "web", MANIFEST, null, walt);
        var pool = java.util.concurrent.Executors.newFixedThreadPool(6);
        try {
            List<java.util.concurrent.Future<Integer>> switches = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                int target = 1 + i % 2;
                switches.add(pool.submit(() -> send("POST", "/acme/web/generations/" + target + "/switch", walt, null).status()));
            }
            List<java.util.concurrent.Future<Integer>> pushes = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                pushes.add(pool.submit(() -> {
                    try {
                        return hub.pushGeneration("acme", "web", MANIFEST, null, walt);
                    } catch (IllegalStateException raced) {
                        // (the last: JGit's HTTP client, for a racing push that had no request data left to send when
                        // it went to read the answer, seen once in ~35 clean runs; what landed is checked below)
                        assertThat(raced.getMessage()).containsAnyOf("REJECTED", "not a fast-forward", "lock",
                                "Starting read stage without written request data pending");
                        return 0;
                    }
                }));
            }
            for (var f : switches) {
                assertThat(f.get()).isEqualTo(200);
            }
            // identical pushes in the same second make identical commits: git counts the second as up to date
            java.util.Set<Integer> pushedGenerations = new java.util.TreeSet<>();
            for (var f : pushes) {
                pushedGenerations.add(f.get());
            }
            pushedGenerations.remove(0);
            long pushed = pushedGenerations.size();
            var metadata = hub.hub().environments().metadata("acme", "web");
            assertThat(metadata.totalGenerations()).as("%s", metadata.history()).isEqualTo(2 + pushed);
            assertThat(get("/acme/web", null).body().path("live_generation").asInt())
                    .isEqualTo(metadata.liveGeneration().getAsInt());
            assertThat(get("/acme/web/history", null).body().path("history")).hasSize(metadata.history().size());
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<String> names(Response r) {
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        r.body().path("environments").forEach(e -> names.add(e.path("name").asText()));
        return names;
    }
}
