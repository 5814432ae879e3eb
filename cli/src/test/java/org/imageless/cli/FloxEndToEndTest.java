package org.imageless.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.imageless.hub.testing.RunningHub;
import org.imageless.nix.testing.RealNix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scenario against a served hub: alice publishes two packages built from [build],
 * creates and pushes acme/web; bob pulls it, installs with -r and pushes generation 2; alice's
 * stale push is refused with what to do; switch and rollback; activation runs the package.
 */
class FloxEndToEndTest {

    static final String BUILDS = """
            version = 1

            [install]

            [build.hello]
            description = "says hello"
            version = "1.0.0"
            command = '''
              mkdir -p $out/bin
              printf '#!/bin/sh\\necho "Hello from flox $GREETING"\\n' > $out/bin/hello
              chmod +x $out/bin/hello
            '''

            [build.greet]
            version = "2.1.0"
            command = '''
              mkdir -p $out/bin
              printf '#!/bin/sh\\necho greetings\\n' > $out/bin/greet
              chmod +x $out/bin/greet
            '''

            [options]
            systems = ["x86_64-linux"]
            """;

    @TempDir
    Path dir;
    RunningHub hub;
    FloxUser alice;
    FloxUser bob;
    String aliceToken;

    @BeforeEach
    void start() {
        hub = RunningHub.start(dir.resolve("hub"));
        aliceToken = hub.createUser("alice");
        String bobToken = hub.createUser("bob");
        hub.createOrg("acme", "alice");
        hub.addMember("acme", "bob", "writer");
        alice = new FloxUser("alice", dir.resolve("alice"), hub.url(), aliceToken);
        bob = new FloxUser("bob", dir.resolve("bob"), hub.url(), null);
        bob.env.put("FLOX_FLOXHUB_TOKEN", bobToken);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    static FloxUser.Result ok(FloxUser.Result r) {
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    void publishBoth() throws Exception {
        Path src = alice.dir("src");
        ok(alice.flox(src, "init", "-n", "tools"));
        Files.writeString(src.resolve("builds.toml"), BUILDS);
        ok(alice.flox(src, "edit", "-f", "builds.toml"));
        assertThat(ok(alice.flox(src, "publish", "-o", "acme", "hello")).out()).contains("published acme/hello@1.0.0");
        FloxUser.Result greet = ok(alice.flox(src, "publish", "-o", "acme", "greet"));
        assertThat(greet.out()).contains("published acme/greet@2.1.0");
        assertThat(greet.err()).as("no progress bar without a terminal").doesNotContain("\r").doesNotContain("\u001b[K");
    }

    @Test
    void publishPushPullInstallRemotelySwitchRollbackAndActivate() throws Exception {
        publishBoth();
        assertThat(ok(alice.flox("search", "hello")).out()).contains("acme/hello").contains("says hello");
        assertThat(ok(alice.flox("show", "acme/hello")).out()).contains("acme/hello@1.0.0");

        // alice: init, install, push
        Path web = alice.dir("web");
        ok(alice.flox(web, "init", "-n", "web"));
        assertThat(ok(alice.flox(web, "install", "acme/hello")).out()).contains("'hello' installed");
        assertThat(ok(alice.flox(web, "list")).out()).contains("hello: acme/hello (1.0.0)");
        assertThat(ok(alice.flox(web, "push", "-o", "acme")).out()).contains("acme/web");
        assertThat(Files.readString(web.resolve(".flox/env.json"))).contains("\"owner\": \"acme\"");

        // bob: pull, install -r, push -r: generation 2 by bob
        Path bobWeb = bob.dir("web");
        ok(bob.flox(bobWeb, "pull", "acme/web"));
        assertThat(ok(bob.flox(bobWeb, "list", "-n")).out()).isEqualTo("hello\n");
        ok(bob.flox("install", "-r", "acme/web", "acme/greet"));
        assertThat(ok(bob.flox("push", "-r", "acme/web")).out()).contains("generation 2 is live");
        JsonNode gens = hub.call("GET", "/api/v1/environments/acme/web/generations", aliceToken, null, 200).path("generations");
        assertThat(gens).hasSize(2);
        JsonNode g2 = gens.get(1);
        assertThat(g2.path("generation").asInt()).isEqualTo(2);
        assertThat(g2.path("author").asText()).isEqualTo("bob");
        assertThat(g2.path("hostname").asText()).isNotBlank();
        assertThat(g2.path("command").asText()).isEqualTo("flox install -r acme/web acme/greet");
        assertThat(g2.path("live").asBoolean()).isTrue();

        // alice changes her stale copy: the push is refused and says what to do
        ok(alice.flox(web, "uninstall", "hello"));
        FloxUser.Result refused = alice.flox(web, "push");
        assertThat(refused.code()).as(refused.toString()).isEqualTo(2);
        assertThat(refused.err()).contains("FloxHub has changes to acme/web that you do not have")
                .contains("generation 2 by bob").contains("flox pull").contains("--force");
        ok(alice.flox(web, "pull", "--force"));
        assertThat(ok(alice.flox(web, "list", "-n")).out()).isEqualTo("hello\ngreet\n");

        // switch and rollback through the cached remote copy, live on the hub after push -r
        ok(alice.flox("generations", "switch", "1", "-r", "acme/web"));
        ok(alice.flox("push", "-r", "acme/web"));
        assertThat(hub.call("GET", "/api/v1/environments/acme/web", aliceToken, null, 200).path("live_generation").asInt())
                .isEqualTo(1);
        ok(alice.flox("generations", "rollback", "-r", "acme/web"));
        ok(alice.flox("push", "-r", "acme/web"));
        assertThat(hub.call("GET", "/api/v1/environments/acme/web", aliceToken, null, 200).path("live_generation").asInt())
                .isEqualTo(2);
        assertThat(ok(alice.flox("generations", "list", "-r", "acme/web")).out())
                .contains("1: imported environment, by alice").contains("2 (live): installed package 'greet', by bob");
        assertThat(ok(alice.flox("generations", "history", "-r", "acme/web")).out())
                .contains("changed current generation 2 -> 1 (flox generations switch 1 -r acme/web)")
                .contains("changed current generation 1 -> 2 (flox generations rollback -r acme/web)");

        // activation runs the published binaries, with [vars] and the hook (stdout to stderr)
        FloxUser.Result run = ok(bob.flox("activate", "-r", "acme/web", "--", "sh", "-c", "hello; greet; echo $FLOX_ENV"));
        assertThat(run.out()).startsWith("Hello from flox \ngreetings\n/nix/store/");
        assertThat(run.out()).contains("-flox-env");

        // auth token prints a token the hub accepts
        String token = ok(alice.flox("auth", "token")).out().strip();
        assertThat(hub.call("GET", "/api/v1/whoami", token, null, 200).path("name").asText()).isEqualTo("alice");
        assertThat(ok(alice.flox("auth", "status")).out()).contains("as alice").contains("acme: owner");
    }

    @Test
    void theHookRunsInBashWithItsOutputOnStderrAndVarsAreSet() throws Exception {
        publishBoth();
        Path app = alice.dir("app");
        ok(alice.flox(app, "init"));
        ok(alice.flox(app, "install", "acme/hello@^1"));
        String manifest = Files.readString(app.resolve(".flox/env/manifest.toml"));
        manifest = manifest.replace("[vars]", "[vars]\nGREETING = \"world\"")
                .replace("[hook]", "[hook]\non-activate = '''\n  echo hook-ran\n  export FROM_HOOK=yes\n'''");
        Files.writeString(app.resolve("m.toml"), manifest);
        ok(alice.flox(app, "edit", "-f", "m.toml"));
        FloxUser.Result r = ok(alice.flox(app, "activate", "-m", "run", "--", "sh", "-c", "hello; echo $FROM_HOOK"));
        assertThat(r.out()).isEqualTo("Hello from flox world\nyes\n");
        assertThat(r.err()).contains("hook-ran");
    }

    @Test
    void publishedClosuresAreReadableByRealNixFromTheHubCache() throws Exception {
        publishBoth();
        JsonNode show = hub.call("GET", "/api/v1/catalog/acme/packages/hello", aliceToken, null, 200);
        String out = show.path("versions").get(0).path("systems").path("x86_64-linux").path("outputs").path("out").asText();
        RealNix nix = RealNix.in(dir.resolve("nix"));
        Path netrc = Files.writeString(dir.resolve("netrc"), "machine 127.0.0.1\nlogin x\npassword " + aliceToken + "\n");
        RealNix.Result copied = nix.tryRun(List.of("nix", "copy", "--from", hub.url() + "/cache", "--to", nix.storeUri(), out),
                null, Map.of("NIX_CONFIG", RealNix.NIX_CONFIG + "\nnetrc-file = " + netrc + "\ntrusted-public-keys = " + hub.publicKey()));
        assertThat(copied.exitCode()).as(copied.stderr()).isZero();
        assertThat(Files.readString(nix.realPath(out + "/bin/hello"))).contains("Hello from flox");
    }

    /**
     * {@code flox activate -r} as an unprivileged user (uid 65534, a fresh home, nothing of root's
     * readable): the closure goes to ~/.local/share/flox/store and bubblewrap mounts it at /nix/store
     * in a user namespace.
     */
    @Test
    void anUnprivilegedUserActivatesARemoteEnvironmentOnAFreshHome() throws Exception {
        publishBoth();
        Path web = alice.dir("web");
        ok(alice.flox(web, "init", "-n", "web"));
        ok(alice.flox(web, "install", "acme/hello"));
        ok(alice.flox(web, "push", "-o", "acme"));

        Path shared = Files.createTempDirectory(Path.of("/tmp"), "cli-nobody-");
        try {
            Files.setPosixFilePermissions(shared, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            Path cp = Files.createDirectories(shared.resolve("cp"));
            List<String> entries = new java.util.ArrayList<>();
            int i = 0;
            for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                Path src = Path.of(e);
                if (!Files.exists(src)) {
                    continue;
                }
                Path dst = cp.resolve((i++) + "-" + src.getFileName());
                try (var walk = Files.walk(src)) {
                    for (Path p : walk.toList()) {
                        Files.copy(p, dst.resolve(src.relativize(p).toString()));
                    }
                }
                entries.add(dst.toString());
            }
            Path home = Files.createDirectories(shared.resolve("home"));
            try (var walk = Files.walk(shared)) {
                for (Path p : walk.toList()) {
                    p.toFile().setReadable(true, false);
                    p.toFile().setExecutable(true, false);
                }
            }
            Files.setAttribute(home, "unix:uid", 65534);
            Files.setAttribute(home, "unix:gid", 65534);
            ProcessBuilder pb = new ProcessBuilder("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", String.join(":", entries),
                    "org.imageless.cli.Flox", "activate", "-r", "acme/web", "--", "hello");
            pb.directory(home.toFile());
            pb.environment().clear();
            pb.environment().putAll(Map.of("HOME", home.toString(), "PATH", "/usr/local/bin:/usr/bin:/bin",
                    "FLOX_FLOXHUB_URL", hub.url(), "FLOX_FLOXHUB_TOKEN", aliceToken));
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Process p = pb.start();
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            Thread pump = Thread.ofVirtual().start(() -> {
                try {
                    p.getErrorStream().transferTo(err);
                } catch (java.io.IOException ignored) {
                    // the process ended
                }
            });
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
            pump.join();
            assertThat(p.exitValue()).as(out + err).isZero();
            assertThat(out).isEqualTo("Hello from flox \n");
            Path store = home.resolve(".local/share/flox/store");
            assertThat(Files.getAttribute(store, "unix:uid")).isEqualTo(65534);
            try (var list = Files.list(store)) {
                assertThat(list.map(x -> x.getFileName().toString())).anyMatch(n -> n.endsWith("-hello-1.0.0"));
            }
        } finally {
            try (var walk = Files.walk(shared)) {
                for (Path x : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    x.toFile().setWritable(true);
                    Files.deleteIfExists(x);
                }
            }
        }
    }
}
