package org.imageless.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.imageless.e2e.testing.Pods.container;
import static org.imageless.e2e.testing.Pods.pod;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.imageless.e2e.testing.Pods;
import org.imageless.e2e.testing.World;
import org.imageless.e2e.testing.WorldExtension;
import org.imageless.node.cri.api.ContainerState;
import org.imageless.node.pod.PodRunner.RunningPod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Pod manifests run through a private containerd + runc, as kubelet runs them (CRI), with
 * {@code runtimeClassName: flox} handled by flox-container-runtime, against a real hub whose cache
 * holds packages uploaded by real nix.
 */
@ExtendWith(WorldExtension.class)
class FloxPodsTest {

    private static final String ENV = "flox.dev/environment";

    @Test
    void theEchoipPodFromFloxDocumentationRunsItsCommandFromTheEnvironment(World w) throws Exception {
        w.push("echoip", List.of("echoip"), Map.of(), null);
        // the documentation's manifest, with the environment on this hub
        String yaml = """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: flox-containerd-demo
                  annotations:
                    flox.dev/environment: "acme/echoip"
                spec:
                  runtimeClassName: flox
                  containers:
                    - name: empty
                      image: flox/empty:1.0.0
                      command: ["echoip"]
                """;
        RunningPod pod = w.run(yaml);
        try {
            String id = World.container(pod, "empty");
            assertThat(w.awaitLog(id, "echoip serving")).contains("echoip serving");
            assertThat(w.containerd.cri().containerStatus(id).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);
            // only the environment's closure is visible under /nix/store
            String store = w.exec(id, w.busybox + "/bin/ls", "/nix/store").stdout();
            assertThat(store).contains(name(w.echoip)).contains(name(w.busybox))
                    .doesNotContain(name(w.devlib)).doesNotContain(name(w.tools));
        } finally {
            w.remove(pod);
        }
    }

    @Test
    void aPinnedGenerationRunsWhileANewerOneIsLive(World w) {
        w.push("pinned", List.of("busybox"), Map.of("GREETING", "one"), null);
        w.push("pinned", List.of("busybox"), Map.of("GREETING", "two"), null);
        RunningPod pinned = w.run(pod("pinned-1", "flox", Map.of(ENV, "acme/pinned:1"),
                container("app", "sh", "-c", "echo greeting=$GREETING")));
        RunningPod live = w.run(pod("pinned-live", "flox", Map.of(ENV, "acme/pinned"),
                container("app", "sh", "-c", "echo greeting=$GREETING")));
        try {
            assertThat(w.awaitLog(World.container(pinned, "app"), "greeting=")).contains("greeting=one");
            assertThat(w.awaitLog(World.container(live, "app"), "greeting=")).contains("greeting=two");
        } finally {
            w.remove(pinned);
            w.remove(live);
        }
    }

    @Test
    void aGenerationPushedBetweenTwoStartsIsTheOneTheSecondStartRuns(World w) {
        w.push("rolling", List.of("busybox"), Map.of("RELEASE", "first"), null);
        String yaml = pod("rolling", "flox", Map.of(ENV, "acme/rolling"), container("app", "sh", "-c", "echo release=$RELEASE"));
        RunningPod first = w.run(yaml);
        assertThat(w.awaitLog(World.container(first, "app"), "release=")).contains("release=first");
        w.remove(first);

        w.push("rolling", List.of("busybox"), Map.of("RELEASE", "second"), null);
        RunningPod second = w.run(yaml); // the same manifest and image
        try {
            assertThat(w.awaitLog(World.container(second, "app"), "release=")).contains("release=second");
        } finally {
            w.remove(second);
        }
    }

    @Test
    void withTheResidentDaemonAPodsSandboxResolvesItsEnvironmentAndARestartedContainerResolvesAgain(World w) throws Exception {
        w.push("resident", List.of("busybox"), Map.of("RELEASE", "first"), null);
        String yaml = pod("resident", "flox", Map.of(ENV, "acme/resident"), container("app", "sh", "-c", "echo release=$RELEASE; sleep 3600"));
        var configs = new org.imageless.node.pod.PodConfigs(org.imageless.node.pod.PodManifest.parse(yaml, "resident pod"), Map.of(),
                w.containerd.podLogs(), w.dir.resolve("resident-volumes"));
        var cri = w.containerd.cri();
        Process daemon = w.main.startDaemon(w.dir.resolve("resident-daemon.log"), 20);
        String sandbox = null;
        try {
            long lookups = w.generationLookups();
            // as kubelet: the sandbox first (the daemon asks the hub for the pod's environment), then the container
            sandbox = cri.runPodSandbox(configs.sandbox(), configs.runtimeHandler());
            String ip = cri.podSandboxStatus(sandbox).getStatus().getNetwork().getIp();
            java.time.Instant deadline = java.time.Instant.now().plusSeconds(10);
            while (w.generationLookups() == lookups && java.time.Instant.now().isBefore(deadline)) {
                Thread.sleep(20);
            }
            assertThat(w.generationLookups() - lookups).as("the sandbox's lookup, before any container").isEqualTo(1);
            var app = configs.container(configs.containers().getFirst(), ip);
            String first = cri.createContainer(sandbox, app, configs.sandbox());
            cri.startContainer(first);
            assertThat(w.awaitLog(first, "release=")).contains("release=first");
            assertThat(w.generationLookups() - lookups).as("the container's first start used its sandbox's lookup").isEqualTo(1);
            // the daemon wrote its create while containerd set the task up, and the launcher ran runc straight away
            Path bundle = w.containerd.dir().resolve("state/io.containerd.runtime.v2.task/k8s.io").resolve(first);
            assertThat(Files.isSameFile(bundle.resolve("config.json"), bundle.resolve(org.imageless.runtime.Create.PREPARED)))
                    .as("written ahead").isTrue();
            assertThat(cri.execSync(first, List.of("sh", "-c", "echo exec=$RELEASE"), 10).getStdout().toStringUtf8())
                    .as("its activation record, written ahead too").contains("exec=first");

            // a restart is a new container of the same name in the same sandbox: it asks the hub again
            w.push("resident", List.of("busybox"), Map.of("RELEASE", "second"), null);
            cri.stopContainer(first, 5);
            cri.removeContainer(first);
            String second = cri.createContainer(sandbox, app, configs.sandbox());
            cri.startContainer(second);
            assertThat(w.awaitLog(second, "release=second")).contains("release=second");
            assertThat(w.generationLookups() - lookups).isEqualTo(2);
            assertThat(w.containerd.dir().resolve("state/io.containerd.runtime.v2.task/k8s.io").resolve(second)
                    .resolve(org.imageless.runtime.Create.PREPARED)).as("a restart resolves at its create").doesNotExist();
        } finally {
            if (sandbox != null) {
                cri.stopPodSandbox(sandbox);
                cri.removePodSandbox(sandbox);
            }
            daemon.destroy();
            daemon.waitFor();
        }
    }

    @Test
    void aPrivateEnvironmentRunsWithTheTokenSecretMountedAndTheTokenStaysOutOfTheContainer(World w) throws IOException {
        w.push("secret", List.of("busybox"), Map.of("SECRET_ENV", "yes"), null);
        w.hub.setVisibility("acme", "secret", "private", w.alice);
        Path secret = Files.createDirectories(w.dir.resolve("secrets/floxhub-token"));
        Files.writeString(secret.resolve("floxhub-token"), w.alice);
        RunningPod pod = w.run(Pods.tokenPod("private-ok", "acme/secret", "sh", "-c", "echo secret-env=$SECRET_ENV; env; sleep 3600"),
                Map.of(Pods.TOKEN_SECRET, secret));
        try {
            String id = World.container(pod, "app");
            String log = w.awaitLog(id, "secret-env=");
            assertThat(log).contains("secret-env=yes").doesNotContain(w.alice);
            assertThat(w.exec(id, "env").stdout()).doesNotContain(w.alice);
        } finally {
            w.remove(pod);
        }
        assertThat(w.failure(pod("private-no-token", "flox", Map.of(ENV, "acme/secret"), container("app", "sh", "-c", "true")))
                .getMessage())
                .contains("the hub refused acme/secret")
                .contains("/var/run/secrets/flox.dev").contains("floxhub-token");
    }

    @Test
    void withTheHubGoneAPinnedGenerationAndTheLastResolvedLiveOneStillStart(World w) throws IOException {
        w.push("offline", List.of("busybox"), Map.of("GEN", "one"), null);
        w.push("offline", List.of("busybox"), Map.of("GEN", "two"), null);
        String live = pod("offline", "flox-cutoff", Map.of(ENV, "acme/offline"), container("app", "sh", "-c", "echo gen=$GEN; sleep 3600"));
        String pinned = pod("offline-1", "flox-cutoff", Map.of(ENV, "acme/offline:1"), container("app", "sh", "-c", "echo gen=$GEN"));
        // while the hub is reachable, this node resolves both
        RunningPod first = w.run(live);
        assertThat(w.awaitLog(World.container(first, "app"), "gen=")).contains("gen=two");
        w.remove(first);
        RunningPod firstPinned = w.run(pinned);
        assertThat(w.awaitLog(World.container(firstPinned, "app"), "gen=")).contains("gen=one");
        w.remove(firstPinned);

        w.proxy.cut();
        w.push("offline", List.of("busybox"), Map.of("GEN", "three"), null); // live now, but this node cannot learn it
        RunningPod again = w.run(live);
        RunningPod againPinned = w.run(pinned);
        try {
            String id = World.container(again, "app");
            assertThat(w.awaitLog(id, "gen=")).contains("gen=two");
            assertThat(w.awaitLog(World.container(againPinned, "app"), "gen=")).contains("gen=one");
            assertThat(w.runtimeLog(id)).contains("\"level\":\"warning\"").contains("cannot reach the hub")
                    .contains("the last live generation this node resolved");
        } finally {
            w.remove(again);
            w.remove(againPinned);
        }
    }

    @Test
    void devModeSetsTheDevelopmentPathsAndRunModeDoesNot(World w) {
        w.push("devenv", List.of("busybox", "devlib"), Map.of(), null);
        String show = "echo CPATH=$CPATH; echo PKG_CONFIG_PATH=$PKG_CONFIG_PATH; echo LIBRARY_PATH=$LIBRARY_PATH; cat $FLOX_ENV/include/devlib.h";
        RunningPod dev = w.run(pod("dev-mode", "flox", Map.of(ENV, "acme/devenv", "flox.dev/activate-mode", "dev"),
                container("app", "sh", "-c", show)));
        RunningPod run = w.run(pod("run-mode", "flox", Map.of(ENV, "acme/devenv"), container("app", "sh", "-c", show)));
        try {
            String devLog = w.awaitLog(World.container(dev, "app"), "#define");
            assertThat(devLog).containsPattern("CPATH=/nix/store/[a-z0-9]{32}-[^/]+/include")
                    .containsPattern("PKG_CONFIG_PATH=/nix/store/[^ ]*/lib/pkgconfig")
                    .containsPattern("LIBRARY_PATH=/nix/store/[^ ]*/lib")
                    .contains("#define DEVLIB 1");
            String runLog = w.awaitLog(World.container(run, "app"), "#define");
            assertThat(runLog).contains("CPATH=\n").doesNotContain("PKG_CONFIG_PATH=/nix");
        } finally {
            w.remove(dev);
            w.remove(run);
        }
    }

    @Test
    void nixMutableLetsTheContainerWriteUnderNixStoreWithoutChangingTheNodeStore(World w) throws IOException {
        w.push("mutable", List.of("busybox"), Map.of(), null);
        String write = "touch /nix/store/written-inside && echo extra > " + w.busybox + "/bin/extra && cat " + w.busybox
                + "/bin/extra && echo mutable-ok";
        RunningPod mutable = w.run(pod("mutable", "flox", Map.of(ENV, "acme/mutable", "flox.dev/nix-mutable", "true"),
                container("app", "sh", "-c", write)));
        RunningPod readOnly = w.run(pod("read-only", "flox", Map.of(ENV, "acme/mutable"),
                container("app", "sh", "-c", "touch /nix/store/written-inside 2>&1; echo done")));
        try {
            assertThat(w.awaitLog(World.container(mutable, "app"), "mutable-ok")).contains("extra").contains("mutable-ok");
            assertThat(w.awaitLog(World.container(readOnly, "app"), "done")).contains("Read-only file system");
        } finally {
            w.remove(mutable);
            w.remove(readOnly);
        }
        assertThat(World.storeEntries(w.main)).doesNotContain("written-inside");
        Path busyboxBin = w.main.store().resolve(name(w.busybox)).resolve("bin");
        assertThat(busyboxBin.resolve("busybox")).exists();
        assertThat(busyboxBin.resolve("extra")).doesNotExist();
    }

    @Test
    void aSkippedSidecarOnANormalImageRunsBesideAnActivatedContainer(World w) {
        w.push("mixed", List.of("busybox", "tools"), Map.of(), null);
        RunningPod pod = w.run(pod("mixed", "flox", Map.of(ENV, "acme/mixed", "flox.dev/skip-containers", "sidecar"),
                container("sidecar", Pods.BUSYBOX, List.of("sh", "-c", "ls /nix/store 2>&1; echo sidecar FLOX_ENV=$FLOX_ENV.; sleep 3600")),
                container("app", "sh", "-c", "hello-tools; echo app FLOX_ENV=$FLOX_ENV; sleep 3600")));
        try {
            String sidecar = w.awaitLog(World.container(pod, "sidecar"), "sidecar FLOX_ENV");
            assertThat(sidecar).contains("/nix/store: No such file or directory").contains("sidecar FLOX_ENV=.");
            assertThat(w.exec(World.container(pod, "sidecar"), "env").stdout()).doesNotContain("FLOX_ENV");
            String app = w.awaitLog(World.container(pod, "app"), "app FLOX_ENV");
            assertThat(app).contains("tools-hello").containsPattern("app FLOX_ENV=/nix/store/");
        } finally {
            w.remove(pod);
        }
    }

    @Test
    void skipContainersExecActivatesTheMainProcessButNotExecCommands(World w) {
        w.push("noexec", List.of("busybox", "tools"), Map.of(), null);
        RunningPod pod = w.run(pod("skip-exec", "flox", Map.of(ENV, "acme/noexec", "flox.dev/skip-containers-exec", "app"),
                container("app", "sh", "-c", "echo main FLOX_ENV=$FLOX_ENV; sleep 3600")));
        try {
            String id = World.container(pod, "app");
            assertThat(w.awaitLog(id, "main FLOX_ENV")).containsPattern("main FLOX_ENV=/nix/store/");
            World.Exec env = w.exec(id, w.busybox + "/bin/env");
            assertThat(env.exitCode()).isZero();
            assertThat(env.stdout()).doesNotContain("FLOX_ENV").doesNotContain("/nix/store");
        } finally {
            w.remove(pod);
        }
    }

    @Test
    void theHubLearnsWhereAGenerationRunsFromTheActivationReport(World w) throws InterruptedException {
        int generation = w.push("reported", List.of("busybox"), Map.of(), null);
        RunningPod pod = w.run(pod("reported", "flox", Map.of(ENV, "acme/reported"), container("app", "sleep", "3600")));
        try {
            var activations = new org.imageless.hub.activation.Activations(w.hub.hub().database().jdbi(), w.hub.hub().clock());
            java.time.Instant deadline = java.time.Instant.now().plusSeconds(10);
            while (activations.running("acme", "reported").isEmpty() && java.time.Instant.now().isBefore(deadline)) {
                Thread.sleep(50);
            }
            assertThat(activations.running("acme", "reported")).singleElement().satisfies(r -> {
                assertThat(r.generation()).isEqualTo(generation);
                assertThat(r.node()).isEqualTo("e2e-flox");
                assertThat(r.pod()).isEqualTo("reported");
                assertThat(r.container()).isEqualTo("app");
                assertThat(r.namespace()).isEqualTo("default");
            });
        } finally {
            w.remove(pod);
        }
    }

    @Test
    void disableMetricsSetsFloxDisableMetricsAndSendsNoActivationReport(World w) {
        w.push("quiet", List.of("busybox"), Map.of(), null);
        RunningPod pod = w.run(pod("quiet", "flox", Map.of(ENV, "acme/quiet", "flox.dev/disable-metrics", "true"),
                container("app", "sh", "-c", "echo metrics=$FLOX_DISABLE_METRICS; sleep 3600")));
        try {
            assertThat(w.awaitLog(World.container(pod, "app"), "metrics=")).contains("metrics=true");
            var activations = new org.imageless.hub.activation.Activations(w.hub.hub().database().jdbi(), w.hub.hub().clock());
            assertThat(activations.running("acme", "quiet")).isEmpty();
        } finally {
            w.remove(pod);
        }
    }

    @Test
    void anExecProbeSeesTheActivatedEnvironment(World w) {
        w.push("probed", List.of("busybox", "tools"), Map.of("PROBE_VAR", "probe-value"), null);
        RunningPod pod = w.run(pod("probed", "flox", Map.of(ENV, "acme/probed"), container("app", "sleep", "3600")));
        try {
            String id = World.container(pod, "app");
            // an exec probe's command, resolved through the environment's PATH (busybox env)
            World.Exec env = w.exec(id, "env");
            assertThat(env.exitCode()).as("env: %s %s; runtime state: %s", env.stdout(), env.stderr(),
                    w.debugState(w.main, id)).isZero();
            String floxEnv = env.stdout().lines().filter(l -> l.startsWith("FLOX_ENV=")).findFirst()
                    .orElseThrow(() -> new AssertionError("no FLOX_ENV in the exec's environment:\n" + env.stdout()))
                    .substring("FLOX_ENV=".length());
            assertThat(floxEnv).matches("/nix/store/[a-z0-9]{32}-.+");
            assertThat(env.stdout()).contains("PROBE_VAR=probe-value");
            World.Exec path = w.exec(id, "sh", "-c", "echo $PATH; echo $PROBE_VAR");
            assertThat(path.stdout()).startsWith(floxEnv + "/bin:").contains("probe-value");
            World.Exec tool = w.exec(id, "hello-tools");
            assertThat(tool.exitCode()).isZero();
            assertThat(tool.stdout()).contains("tools-hello");
        } finally {
            w.remove(pod);
        }
    }

    @Test
    void theHookRunsInTheClosuresBashBeforeTheCommand(World w) {
        // (the hook's output goes to stderr and the command's to stdout: containerd copies the two streams apart,
        // so their order in the log proves nothing; the command sees what the hook exported)
        w.push("hooked", List.of("busybox"), Map.of("GREETING", "hi"), "echo hook-ran-$GREETING; export HOOKED=yes-$GREETING");
        RunningPod pod = w.run(pod("hooked", "flox", Map.of(ENV, "acme/hooked"), container("app", "sh", "-c", "echo main-ran-hooked=$HOOKED")));
        try {
            String log = w.awaitLog(World.container(pod, "app"), "main-ran");
            assertThat(log).contains("hook-ran-hi").contains("main-ran-hooked=yes-hi");
        } finally {
            w.remove(pod);
        }
    }

    @Test
    void twentyPodsOfOneEnvironmentStartAtOnceAndEachStorePathIsDownloadedOnce(World w) throws Exception {
        w.push("parallel", List.of("tools", "echoip"), Map.of(), null);
        long before = w.narDownloads();
        int pods = 20;
        List<Callable<RunningPod>> starts = new ArrayList<>();
        for (int i = 0; i < pods; i++) {
            String yaml = pod("parallel-" + i, "flox-fresh", Map.of(ENV, "acme/parallel"), container("app", "hello-tools"));
            starts.add(() -> w.run(yaml));
        }
        List<RunningPod> started = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(pods)) {
            for (Future<RunningPod> f : pool.invokeAll(starts)) {
                try {
                    started.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    failures.add(e.getCause());
                }
            }
        }
        try {
            assertThat(failures).as("pod starts that failed").isEmpty();
            assertThat(started).hasSize(pods);
            for (RunningPod p : started) {
                assertThat(w.awaitLog(World.container(p, "app"), "tools-hello")).contains("tools-hello");
            }
            // the closure is tools, echoip and busybox: each must be downloaded at least once, and
            // the hub answered exactly three NAR requests, so each was downloaded exactly once
            assertThat(World.storeEntries(w.fresh)).contains(name(w.tools), name(w.echoip), name(w.busybox));
            assertThat(w.narDownloads() - before).as(w.metrics()).isEqualTo(3);
        } finally {
            for (RunningPod p : started) {
                w.remove(p);
            }
        }
    }

    static String name(String storePath) {
        return storePath.substring("/nix/store/".length());
    }
}
