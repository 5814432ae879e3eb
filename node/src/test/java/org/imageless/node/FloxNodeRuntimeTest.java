package org.imageless.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.imageless.hub.testing.RunningHub;
import org.imageless.nix.nodestore.NodeStore;
import org.imageless.nix.store.StorePath;
import org.imageless.runtime.config.NodeConfig;
import org.imageless.runtime.testing.TestHub;
import org.imageless.runtime.testing.RuntimeFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code flox-node prefetch} and {@code flox-node store gc}, run as processes against the hub and real nix's packages. */
class FloxNodeRuntimeTest {

    @TempDir
    Path dir;

    record Run(int exit, String stdout, String stderr) {}

    Run run(Path config, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "org.imageless.node.FloxNode"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("FLOX_NODE_CONFIG", config.toString());
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void prefetchRealisesAndBuildsTheViewThenGcKeepsOnlyWhatContainersUse() throws Exception {
        RuntimeFixture fixture = new RuntimeFixture(dir.resolve("nix"));
        try (TestHub hub = new TestHub(dir.resolve("hub"), fixture)) {
            hub.push("web", RunningHub.manifest(List.of("busybox", "tools"), Map.of(), null));
            hub.push("small", RunningHub.manifest(List.of("busybox"), Map.of(), null));
            Path config = RuntimeFixture.nodeConfig(dir.resolve("node"), hub.url(), hub.publicKey(), "");
            NodeConfig c = NodeConfig.load(config);

            Run web = run(config, "prefetch", "acme/web");
            assertThat(web.exit()).as(web.stderr()).isZero();
            StorePath webView = StorePath.parse(web.stdout().strip());
            assertThat(web.stderr()).contains("acme/web:1: 3 paths in the closure, 2 fetched");
            Run small = run(config, "prefetch", "acme/small:1");
            assertThat(small.exit()).as(small.stderr()).isZero();
            StorePath smallView = StorePath.parse(small.stdout().strip());
            NodeStore store = NodeStore.open(c.storeDir());
            assertThat(store.list()).hasSize(4);

            // a running container of acme/small
            Files.createDirectories(c.rootsDir());
            Files.writeString(c.rootsDir().resolve("container-1"), smallView + "\n");

            Run dry = run(config, "store", "gc", "--dry-run");
            assertThat(dry.exit()).as(dry.stderr()).isZero();
            assertThat(dry.stdout().lines()).containsExactlyInAnyOrder("would remove " + webView, "would remove " + fixture.tools);
            assertThat(store.list()).hasSize(4);

            Run gc = run(config, "store", "gc");
            assertThat(gc.exit()).as(gc.stderr()).isZero();
            assertThat(gc.stdout().lines()).containsExactlyInAnyOrder("removed " + webView, "removed " + fixture.tools);
            assertThat(gc.stderr()).contains("removed 2 store paths").contains("used by 1 running containers");
            assertThat(store.list()).extracting(StorePath::toString).containsExactlyInAnyOrder(smallView.toString(), fixture.busybox);
            assertThat(store.verify()).isEmpty();
            assertThat(store.realPath(webView)).doesNotExist();
        }
    }

    @Test
    void aKeptPrefetchSurvivesGcUntilItIsForgotten() throws Exception {
        RuntimeFixture fixture = new RuntimeFixture(dir.resolve("nix"));
        try (TestHub hub = new TestHub(dir.resolve("hub"), fixture)) {
            hub.push("web", RunningHub.manifest(List.of("busybox", "tools"), Map.of(), null));
            Path config = RuntimeFixture.nodeConfig(dir.resolve("node"), hub.url(), hub.publicKey(), "");
            NodeStore store = NodeStore.open(NodeConfig.load(config).storeDir());

            Run web = run(config, "prefetch", "--keep", "acme/web");
            assertThat(web.exit()).as(web.stderr()).isZero();
            assertThat(web.stderr()).contains("kept from gc");
            Run gc = run(config, "store", "gc");
            assertThat(gc.exit()).as(gc.stderr()).isZero();
            assertThat(gc.stdout()).isEmpty();
            assertThat(gc.stderr()).contains("removed 0 store paths").contains("used by 0 running containers and 1 kept prefetches");
            assertThat(store.list()).hasSize(3);

            Run forget = run(config, "prefetch", "--forget", "acme/web");
            assertThat(forget.exit()).as(forget.stderr()).isZero();
            assertThat(forget.stderr()).contains("forgot the kept prefetch of acme/web");
            gc = run(config, "store", "gc");
            assertThat(gc.stdout().lines()).hasSize(3);
            assertThat(store.list()).isEmpty();
            assertThat(run(config, "prefetch", "--forget", "acme/web").stderr()).contains("no kept prefetch of acme/web");
        }
    }

    @Test
    void prefetchOfAnUnknownEnvironmentSaysSo() throws Exception {
        RuntimeFixture fixture = new RuntimeFixture(dir.resolve("nix"));
        try (TestHub hub = new TestHub(dir.resolve("hub"), fixture)) {
            Path config = RuntimeFixture.nodeConfig(dir.resolve("node"), hub.url(), hub.publicKey(), "");
            Run r = run(config, "prefetch", "acme/none");
            assertThat(r.exit()).isEqualTo(3);
            assertThat(r.stderr()).contains("flox-node: error: the hub has no acme/none");
        }
    }

    @Test
    void runtimeServeServesTheStateDirectoryUntilSigtermAndASecondOneRefusesToStart() throws Exception {
        Path config = RuntimeFixture.nodeConfig(dir.resolve("node"), java.net.URI.create("http://127.0.0.1:9"),
                "k-1:" + java.util.Base64.getEncoder().encodeToString(new byte[32]), "");
        Path state = NodeConfig.load(config).stateDir();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.imageless.node.FloxNode", "runtime", "serve", "--config", config.toString(), "--warm-up", "20");
        Path journal = dir.resolve("journal.txt");
        pb.redirectErrorStream(true).redirectOutput(journal.toFile());
        Process serve = pb.start();
        try {
            Path pidFile = state.resolve(org.imageless.runtime.RuntimeDaemon.PID_FILE);
            String serving = "pid " + serve.pid() + " serves " + state.resolve("runtime.fifo");
            // the pid file is written before the daemon logs that it serves: wait for both
            for (int i = 0; i < 300 && !(Files.exists(pidFile) && Files.readString(pidFile).startsWith(serve.pid() + " ")
                    && Files.readString(journal).contains(serving)); i++) {
                Thread.sleep(50);
            }
            assertThat(pidFile).content().matches(serve.pid() + " [0-9]+\n"); // pid, then its descriptor of the FIFO
            assertThat(Files.readString(journal)).contains(serving).contains("warmed up with 20 training starts in ");

            // refused before any warm-up
            Run second = run(config, "runtime", "serve");
            assertThat(second.exit()).isEqualTo(1);
            assertThat(second.stdout() + second.stderr()).contains("another flox-container-runtime daemon (pid " + serve.pid() + ")");

            serve.destroy(); // SIGTERM
            assertThat(serve.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(serve.exitValue()).isIn(0, 143);
            assertThat(pidFile).doesNotExist();
            assertThat(state.resolve("runtime.fifo")).doesNotExist();
            assertThat(Files.readString(journal)).contains("stopped");
        } finally {
            serve.destroyForcibly();
        }
    }
}
