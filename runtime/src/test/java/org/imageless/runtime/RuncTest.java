package org.imageless.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.imageless.hub.testing.RunningHub;
import org.imageless.nix.nodestore.NodeStore;
import org.imageless.nix.store.StorePath;
import org.imageless.runtime.config.NodeConfig;
import org.imageless.runtime.testing.Bundles;
import org.imageless.runtime.testing.TestHub;
import org.imageless.runtime.testing.Launcher;
import org.imageless.runtime.testing.RuntimeFixture;
import org.imageless.runtime.testing.Runc;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * flox-container-runtime in front of the real runc (Debian), as containerd's shim drives it:
 * {@code create} then {@code start}, {@code exec}, {@code delete}, on bundles with an empty rootfs.
 * The environment's packages are built by real nix, uploaded to the real hub and published in its catalog.
 */
class RuncTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    static RuntimeFixture fixture;
    static TestHub hub;

    @TempDir
    Path tmp;
    Runc runc;
    NodeConfig config;
    Launcher launcher;

    @BeforeAll
    static void packages() throws IOException {
        Runc.require();
        fixture = new RuntimeFixture(shared);
        hub = new TestHub(shared, fixture);
        hub.push("web", TestHub.WEB);
        hub.push("hooked", RunningHub.manifest(List.of("busybox"), Map.of(), "export HOOKED=yes\necho hook-ran"));
    }

    @AfterAll
    static void stop() {
        if (hub != null) {
            hub.close();
        }
    }

    @BeforeEach
    void node() throws IOException {
        Path file = RuntimeFixture.nodeConfig(tmp.resolve("node"), hub.url(), hub.publicKey(), "");
        config = NodeConfig.load(file);
        runc = new Runc(tmp);
        launcher = Launcher.write(tmp.resolve("bin"), Launcher.realJava(), file);
    }

    @AfterEach
    void cleanUp() throws Exception {
        runc.close();
    }

    Path bundle(String name, List<String> args, Map<String, String> pod) throws IOException {
        return Bundles.write(tmp.resolve("bundles/" + name), args, Bundles.container(name, pod), List.of());
    }

    Launcher.Run runtime(String... args) throws Exception {
        return runc.run(launcher, args);
    }

    /** create, start, wait until the container exits; returns the create call (its out/err are the container's). */
    Launcher.Run runToCompletion(Path bundle, String id) throws Exception {
        return runc.runToCompletion(launcher, bundle, id);
    }

    String logText() throws IOException {
        return runc.logText();
    }

    @Test
    void theCommandRunsFromTheNixStoreInTheActivatedEnvironmentSeeingOnlyTheClosure() throws Exception {
        Path b = bundle("app", List.of("sh", "-c", "echo FLOX_ENV=$FLOX_ENV; echo PATH=$PATH; echo GREETING=$GREETING; "
                + "echo EXE=$(readlink /proc/$$/exe); ls /nix/store; tools-hello"), Map.of("flox.dev/environment", "acme/web"));

        Launcher.Run create = runToCompletion(b, "web-1");

        String out = create.outNow();
        StorePath view = StorePath.parse(lineValue(out, "FLOX_ENV"));
        assertThat(lineValue(out, "PATH")).startsWith(view + "/bin:" + view + "/sbin:");
        assertThat(lineValue(out, "GREETING")).isEqualTo("hello from vars");
        assertThat(lineValue(out, "EXE")).isEqualTo(fixture.busybox + "/bin/busybox");
        List<String> listed = out.lines().filter(l -> l.matches("[0-9a-z]{32}-.*")).toList();
        assertThat(listed).containsExactlyInAnyOrder(view.baseName(), StorePath.parse(fixture.busybox).baseName(),
                StorePath.parse(fixture.tools).baseName());
        assertThat(out).contains("tools-hello");
        assertThat(create.errNow()).isEmpty();
        System.out.printf("flox-container-runtime create (JVM without AOT cache, closure fetched): %d ms%n", create.millis());
    }

    @Test
    void theStoreIsReadOnlyInTheContainer() throws Exception {
        Path b = bundle("ro", List.of("sh", "-c", "touch " + fixture.busybox + "/x 2>&1; touch /nix/store/new 2>&1; echo done"),
                Map.of("flox.dev/environment", "acme/web"));
        String out = runToCompletion(b, "ro-1").outNow();
        assertThat(out).contains("Read-only file system").contains("done");
        assertThat(Path.of(config.storeDir() + "/" + StorePath.parse(fixture.busybox).baseName(), "x")).doesNotExist();
    }

    @Test
    void theHookRunsInBashFromTheClosureBeforeTheCommand() throws Exception {
        Path b = bundle("hook", List.of("sh", "-c", "echo HOOKED=$HOOKED"), Map.of("flox.dev/environment", "acme/hooked"));
        Launcher.Run create = runToCompletion(b, "hook-1");
        assertThat(create.outNow()).isEqualTo("HOOKED=yes\n");
        assertThat(create.errNow()).isEqualTo("hook-ran\n");
    }

    @Test
    void execGetsTheActivatedEnvironment() throws Exception {
        Path b = bundle("long", List.of("sleep", "30"), Map.of("flox.dev/environment", "acme/web"));
        assertThat(runtime("create", "--bundle", b.toString(), "long-1").exitCode()).as(logText()).isZero();
        runc.started("long-1");
        assertThat(runtime("start", "long-1").exitCode()).isZero();
        Path process = Files.writeString(tmp.resolve("process.json"), """
                {"terminal": false, "user": {"uid": 0, "gid": 0}, "cwd": "/",
                 "args": ["sh", "-c", "echo FLOX_ENV=$FLOX_ENV; echo GREETING=$GREETING; tools-hello"],
                 "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}
                """);

        Launcher.Run exec = runtime("exec", "--process", process.toString(), "long-1");

        assertThat(exec.exitCode()).as(logText() + exec.stderr()).isZero();
        assertThat(exec.stdout()).contains("FLOX_ENV=/nix/store/").contains("GREETING=hello from vars").contains("tools-hello");
        runtime("kill", "long-1", "KILL");
        runc.waitFor("long-1", "stopped");
        assertThat(runtime("delete", "long-1").exitCode()).isZero();
        runc.forget("long-1");
        assertThat(config.containerDir("long-1")).doesNotExist();
        assertThat(config.rootsDir().resolve("long-1")).doesNotExist();
    }

    @Test
    void nixMutableWritesLandInThePrivateOverlayNeverInTheNodeStore() throws Exception {
        StorePath busybox = StorePath.parse(fixture.busybox);
        Path b = bundle("mut", List.of("sh", "-c", "echo changed > " + busybox + "/new-file && cat " + busybox + "/new-file"
                + " && rm " + busybox + "/bin/cat && mkdir /nix/store/fresh && echo ok"),
                Map.of("flox.dev/environment", "acme/web", "flox.dev/nix-mutable", "true"));

        Launcher.Run create = runToCompletion(b, "mut-1");

        assertThat(create.outNow()).as(create.errNow() + logText()).isEqualTo("changed\nok\n");
        NodeStore store = NodeStore.open(config.storeDir());
        assertThat(store.verify()).isEmpty();
        assertThat(store.realPath(busybox).resolve("new-file")).doesNotExist();
        assertThat(Files.isSymbolicLink(store.realPath(busybox).resolve("bin/cat"))).isTrue();
        assertThat(config.mutableDir("mut-1").resolve("upper/" + busybox.baseName() + "/new-file")).exists();
        assertThat(runtime("delete", "mut-1").exitCode()).isZero();
        runc.forget("mut-1");
        assertThat(config.mutableDir("mut-1")).doesNotExist();
    }

    @Test
    void nixMutableIsWritableByANonRootContainerUser() throws Exception {
        StorePath busybox = StorePath.parse(fixture.busybox);
        Path b = bundle("mutuser", List.of("sh", "-c", "id -u && echo mine > " + busybox + "/new-file && mkdir /nix/store/fresh && echo ok"),
                Map.of("flox.dev/environment", "acme/web", "flox.dev/nix-mutable", "true"));
        Path configJson = b.resolve("config.json");
        String spec = Files.readString(configJson).replaceFirst("\"uid\"\\s*:\\s*0", "\"uid\":1000").replaceFirst("\"gid\"\\s*:\\s*0", "\"gid\":1000");
        assertThat(spec).contains("\"uid\":1000");
        Files.writeString(configJson, spec);

        Launcher.Run create = runToCompletion(b, "mutuser-1");

        assertThat(create.outNow()).as(create.errNow() + logText()).isEqualTo("1000\nok\n");
        assertThat(Files.getAttribute(config.mutableDir("mutuser-1").resolve("upper/" + busybox.baseName() + "/new-file"), "unix:uid"))
                .isEqualTo(1000);
        assertThat(NodeStore.open(config.storeDir()).verify()).isEmpty();
        assertThat(runtime("delete", "mutuser-1").exitCode()).isZero();
        runc.forget("mutuser-1");
    }

    @Test
    void aFailedCreateLeavesNoContainerAndExplainsItselfInTheLog() throws Exception {
        Path b = bundle("bad", List.of("echoip"), Map.of("flox.dev/environment", "acme/web"));

        Launcher.Run create = runtime("create", "--bundle", b.toString(), "bad-1");

        assertThat(create.exitCode()).isNotZero();
        assertThat(create.stdout() + create.stderr()).isEmpty();
        List<String> lines = Files.readAllLines(runc.log);
        JsonNode last = JSON.readTree(lines.getLast());
        assertThat(last.path("level").asText()).isEqualTo("error");
        assertThat(last.path("msg").asText()).contains("command 'echoip' is not in environment acme/web:1")
                .contains("tools provides tools-hello");
        assertThat(runc.exists("bad-1")).isFalse();
    }

    @Test
    void theSecondCreateOfAnEnvironmentIsFasterThanTheFirst() throws Exception {
        Path first = bundle("t1", List.of("sh", "-c", "true"), Map.of("flox.dev/environment", "acme/web"));
        long cold = runToCompletion(first, "t-1").millis();
        Path second = bundle("t2", List.of("sh", "-c", "true"), Map.of("flox.dev/environment", "acme/web"));
        long warm = runToCompletion(second, "t-2").millis();
        System.out.printf("flox-container-runtime create wall time incl. runc create (test JVM, no AOT cache): first %d ms, "
                + "cached closure %d ms%n", cold, warm);
        try (Stream<Path> roots = Files.list(config.rootsDir())) {
            assertThat(roots.map(p -> p.getFileName().toString())).contains("t-1", "t-2");
        }
    }

    private static String lineValue(String out, String key) {
        return out.lines().filter(l -> l.startsWith(key + "=")).findFirst()
                .orElseThrow(() -> new AssertionError("no " + key + "= line in:\n" + out)).substring(key.length() + 1);
    }
}
