package org.imageless.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.imageless.hub.testing.RunningHub;
import org.imageless.nix.NixException;
import org.imageless.nix.nodestore.NodeStore;
import org.imageless.nix.store.StorePath;
import org.imageless.runtime.config.NodeConfig;
import org.imageless.runtime.hub.DeferredReports;
import org.imageless.runtime.testing.Bundles;
import org.imageless.runtime.testing.RuntimeFixture;
import org.imageless.runtime.testing.TestHub;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The create and exec preparation against the real hub (packages built by real nix, uploaded to its cache),
 * on bundles as containerd writes them (runc itself runs in {@link RuncTest}).
 */
class CreateTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    static RuntimeFixture fixture;
    static TestHub hub;

    @TempDir
    Path tmp;
    NodeConfig config;
    Path log;

    @BeforeAll
    static void packages() {
        fixture = new RuntimeFixture(shared);
        hub = new TestHub(shared, fixture);
        hub.push("web", TestHub.WEB);
        hub.push("hooked", RunningHub.manifest(List.of("busybox"), Map.of(), "export HOOKED=yes"));
        hub.push("nobash", RunningHub.manifest(List.of("tools"), Map.of(), "export X=1"));
        hub.push("secret", RunningHub.manifest(List.of("busybox"), Map.of(), null));
        hub.makePrivate("secret");
        hub.push("mac", RunningHub.manifest(List.of("mactool"), Map.of(), null, "aarch64-darwin"));
    }

    @AfterAll
    static void stop() {
        if (hub != null) {
            hub.close();
        }
    }

    Path nodeConfig(String name, String extra) {
        return RuntimeFixture.nodeConfig(tmp.resolve(name), hub.url(), hub.publicKey(), extra);
    }

    /**
     * The bundles go first, as containerd removes them after the launcher's delete: the daemon's watch then forgets
     * what it wrote ahead for them before JUnit removes the node's state directory.
     */
    @org.junit.jupiter.api.AfterEach
    void bundlesFirst() throws IOException {
        org.imageless.nix.nar.NarUnpacker.deleteTree(tmp.resolve("bundles"));
        sleep(100);
    }

    @BeforeEach
    void node() {
        config = NodeConfig.load(nodeConfig("node", ""));
        log = tmp.resolve("log.json");
    }

    List<org.imageless.hub.activation.Running> running(String name) {
        return new org.imageless.hub.activation.Activations(hub.hub.hub().database().jdbi(), java.time.Clock.systemUTC())
                .running("acme", name);
    }

    Path bundle(String name, List<String> args, Map<String, String> pod) throws IOException {
        return Bundles.write(tmp.resolve("bundles/" + name), args, Bundles.container(name, pod), List.of());
    }

    Create.Result create(Path bundle, String id) throws IOException {
        return new Create(config, new RuntimeLog(log)).run(bundle, id);
    }

    static JsonNode spec(Path bundle) throws IOException {
        return JSON.readTree(Files.readString(bundle.resolve("config.json")));
    }

    static Map<String, String> env(JsonNode spec) {
        Map<String, String> env = new HashMap<>();
        spec.path("process").path("env").forEach(e -> {
            String[] kv = e.asText().split("=", 2);
            env.put(kv[0], kv[1]);
        });
        return env;
    }

    static List<String> args(JsonNode spec) {
        List<String> args = new ArrayList<>();
        spec.path("process").path("args").forEach(a -> args.add(a.asText()));
        return args;
    }

    @Test
    void createMountsOnlyTheClosureReadOnlySetsTheEnvironmentAndResolvesTheCommand() throws IOException {
        Path b = bundle("app", List.of("tools-hello", "--flag"), Map.of("flox.dev/environment", "acme/web"));

        Create.Result r = create(b, "c1");

        JsonNode spec = spec(b);
        String view = r.view().toString();
        assertThat(r.environment()).isEqualTo("acme/web:1");
        assertThat(r.closure()).extracting(StorePath::toString)
                .containsExactlyInAnyOrder(view, fixture.busybox, fixture.tools);
        List<String> storeMounts = new ArrayList<>();
        spec.path("mounts").forEach(m -> {
            if (m.path("destination").asText().startsWith("/nix/store")) {
                storeMounts.add(m.path("destination").asText());
                assertThat(m.path("options").toString()).contains("\"ro\"");
            }
        });
        assertThat(storeMounts.getFirst()).isEqualTo("/nix/store");
        assertThat(storeMounts.subList(1, storeMounts.size())).containsExactlyInAnyOrder(fixture.busybox, view, fixture.tools);
        assertThat(args(spec)).containsExactly(view + "/bin/tools-hello", "--flag");
        Map<String, String> env = env(spec);
        assertThat(env.get("PATH")).startsWith(view + "/bin:" + view + "/sbin:/usr/local/sbin");
        assertThat(env).containsEntry("FLOX_ENV", view).containsEntry("FLOX_ENV_DESCRIPTION", "acme/web")
                .containsEntry("GREETING", "hello from vars").containsEntry("TERM", "xterm")
                .doesNotContainKey("FLOX_DISABLE_METRICS");
        assertThat(Files.readAllLines(config.rootsDir().resolve("c1")))
                .containsExactlyInAnyOrder(view, fixture.busybox, fixture.tools);
        assertThat(config.containerDir("c1").resolve("activation.json")).exists();
        assertThat(NodeStore.open(config.storeDir()).verify()).isEmpty();
    }

    @Test
    void anActivationIsReportedToTheHubUnlessMetricsAreDisabled() throws Exception {
        create(bundle("app", List.of("sh"), Map.of("flox.dev/environment", "acme/hooked")), "c1");
        assertThat(running("hooked")).singleElement().satisfies(r -> {
            assertThat(r.generation()).isEqualTo(1);
            assertThat(r.node()).isEqualTo("node-test");
            assertThat(r.pod()).isEqualTo("pod-1");
            assertThat(r.namespace()).isEqualTo("default");
            assertThat(r.container()).isEqualTo("app");
            assertThat(r.mode().text()).isEqualTo("run");
        });

        Path b = bundle("quiet", List.of("sh"), Map.of("flox.dev/environment", "acme/nobash", "flox.dev/disable-metrics", "true"));
        assertThatThrownBy(() -> create(b, "c2")).hasMessageContaining("bin/bash");
        Path q = bundle("quiet2", List.of("sh"), Map.of("flox.dev/environment", "acme/secret", "flox.dev/disable-metrics", "true"));
        config = NodeConfig.load(nodeConfig("node-q", "token_file = \"" + Files.writeString(tmp.resolve("t"), hub.alice) + "\""));
        create(q, "c3");
        Thread.sleep(300);
        assertThat(running("secret")).isEmpty();
        assertThat(env(spec(q))).containsEntry("FLOX_DISABLE_METRICS", "true");
    }

    @Test
    void theDaemonReportsActivationsAfterTheStartInOneRequest() throws Exception {
        hub.push("later", RunningHub.manifest(List.of("busybox"), Map.of(), null));
        Create resident = new Create(config, new RuntimeLog(log), false, true);
        for (String name : List.of("r1", "r2", "r3")) {
            resident.run(bundle(name, List.of("sh"), Map.of("flox.dev/environment", "acme/later")), name);
        }
        java.time.Instant deadline = java.time.Instant.now().plusSeconds(10);
        while (running("later").size() < 3 && java.time.Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
        }
        assertThat(running("later")).extracting(org.imageless.hub.activation.Running::container)
                .containsExactlyInAnyOrder("r1", "r2", "r3");
    }

    @Test
    void theDaemonsReportsWaitForASecondWithoutStartsAndThenGoInOneRequest() throws Exception {
        hub.push("burst", RunningHub.manifest(List.of("busybox"), Map.of(), null));
        Create resident = new Create(config, new RuntimeLog(log), false, true);
        long before = reportRequests();
        long began = System.nanoTime();
        for (String name : List.of("b1", "b2", "b3")) {
            DeferredReports.busy();
            resident.run(bundle(name, List.of("sh"), Map.of("flox.dev/environment", "acme/burst")), name);
        }
        // a busy node: a create or exec every 50 ms, well past the reports' DELAY
        while (System.nanoTime() - began < DeferredReports.DELAY.toNanos() * 5 / 2) {
            DeferredReports.busy();
            Thread.sleep(50);
        }
        assertThat(running("burst")).as("reports sent while the node was busy").isEmpty();

        java.time.Instant deadline = java.time.Instant.now().plusSeconds(10);
        while (running("burst").size() < 3 && java.time.Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
        }
        assertThat(running("burst")).extracting(org.imageless.hub.activation.Running::container)
                .containsExactlyInAnyOrder("b1", "b2", "b3");
        assertThat(reportRequests() - before).as("report requests").isEqualTo(1);
    }

    @Test
    void aNodeThatIsNeverQuietStillReportsWithinTenSeconds() throws Exception {
        hub.push("busy", RunningHub.manifest(List.of("busybox"), Map.of(), null));
        Create resident = new Create(config, new RuntimeLog(log), false, true);
        DeferredReports.busy();
        long began = System.nanoTime();
        resident.run(bundle("n1", List.of("sh"), Map.of("flox.dev/environment", "acme/busy")), "n1");
        long latest = DeferredReports.LATEST.toNanos();
        boolean early = false;
        while (running("busy").isEmpty() && System.nanoTime() - began < latest + 5_000_000_000L) {
            DeferredReports.busy();
            early |= System.nanoTime() - began < latest - 1_000_000_000L && !running("busy").isEmpty();
            Thread.sleep(50);
        }
        long took = System.nanoTime() - began;
        assertThat(running("busy")).extracting(org.imageless.hub.activation.Running::container).containsExactly("n1");
        assertThat(early).as("sent more than a second before LATEST, while busy").isFalse();
        assertThat(took).as("nanoseconds until the report arrived").isBetween(latest - 1_000_000_000L, latest + 5_000_000_000L);
    }

    /** The hub's count of report requests ({@code PUT /api/v1/events}) it accepted. */
    private long reportRequests() {
        return hub.hub.answered("PUT", "/api/v1/events", 202);
    }

    @Test
    void aStoppingDaemonSendsTheReportsItStillHoldsAtOnce() throws Exception {
        hub.push("stopping", RunningHub.manifest(List.of("busybox"), Map.of(), null));
        Create resident = new Create(config, new RuntimeLog(log), false, true);
        resident.run(bundle("s1", List.of("sh"), Map.of("flox.dev/environment", "acme/stopping")), "s1"); // due a second later

        org.imageless.runtime.hub.DeferredReports.flush(java.time.Duration.ofSeconds(10));

        assertThat(running("stopping")).extracting(org.imageless.hub.activation.Running::container).containsExactly("s1");
        // reports after a flush are sent as before
        resident.run(bundle("s2", List.of("sh"), Map.of("flox.dev/environment", "acme/stopping")), "s2");
        java.time.Instant deadline = java.time.Instant.now().plusSeconds(10);
        while (running("stopping").size() < 2 && java.time.Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
        }
        assertThat(running("stopping")).extracting(org.imageless.hub.activation.Running::container).containsExactlyInAnyOrder("s1", "s2");
    }

    @Test
    void devModeSetsTheDevelopmentPaths() throws IOException {
        Path b = bundle("app", List.of("sh"), Map.of("flox.dev/environment", "acme/web", "flox.dev/activate-mode", "dev"));
        String view = create(b, "c1").view().toString();
        assertThat(env(spec(b))).containsEntry("CPATH", view + "/include").containsEntry("LIBRARY_PATH", view + "/lib");
    }

    @Test
    void aHookWrapsTheCommandInBashFromTheClosure() throws IOException {
        Path b = bundle("app", List.of("echo", "hi"), Map.of("flox.dev/environment", "acme/hooked"));
        String view = create(b, "c1").view().toString();
        List<String> args = args(spec(b));
        assertThat(args.getFirst()).isEqualTo(view + "/bin/bash");
        assertThat(args.get(2)).contains("export HOOKED=yes");
        assertThat(args.subList(3, args.size())).containsExactly("flox-activate", view + "/bin/echo", "hi");
    }

    @Test
    void aHookWithoutBashInTheEnvironmentSaysSo() throws IOException {
        Path b = bundle("app", List.of("tools-hello"), Map.of("flox.dev/environment", "acme/nobash"));
        assertThatThrownBy(() -> create(b, "c1")).hasMessageContaining("acme/nobash:1 has a hook.on-activate")
                .hasMessageContaining("none of its packages provides bin/bash")
                .hasMessageContaining("flox install -r acme/nobash bash");
    }

    @Test
    void aCommandNotInTheEnvironmentIsAnErrorNamingThePackagesCommands() throws IOException {
        Path b = bundle("app", List.of("echoip"), Map.of("flox.dev/environment", "acme/web"));
        assertThatThrownBy(() -> create(b, "c1"))
                .hasMessageContaining("command 'echoip' is not in environment acme/web:1")
                .hasMessageContaining("tools provides tools-hello")
                .hasMessageContaining("busybox provides bash, busybox, cat");
    }

    @Test
    void aPinnedGenerationIsUsedAndAMissingOneIsAnError() throws IOException {
        Path b = bundle("app", List.of("sh"), Map.of("flox.dev/environment", "acme/web:1"));
        assertThat(create(b, "c1").environment()).isEqualTo("acme/web:1");
        Path b7 = bundle("app7", List.of("sh"), Map.of("flox.dev/environment", "acme/web:7"));
        assertThatThrownBy(() -> create(b7, "c2")).isInstanceOf(NixException.class)
                .hasMessageContaining("the hub has no acme/web:7: environment 'acme/web' has no generation 7 (it has 1 to 1)")
                .hasMessageContaining("Fix the flox.dev/environment annotation");
    }

    @Test
    void anUnknownEnvironmentIsAnErrorNamingIt() throws IOException {
        Path b = bundle("app", List.of("sh"), Map.of("flox.dev/environment", "acme/nope"));
        assertThatThrownBy(() -> create(b, "c1"))
                .hasMessageContaining("the hub has no acme/nope: environment 'acme/nope' does not exist")
                .hasMessageContaining("Fix the flox.dev/environment annotation");
    }

    @Test
    void missingOrMalformedAnnotationsAreErrorsNamingThem() throws IOException {
        Path none = bundle("app", List.of("sh"), Map.of());
        assertThatThrownBy(() -> create(none, "c1")).hasMessageContaining("has no flox.dev/environment annotation");
        Path bad = bundle("bad", List.of("sh"), Map.of("flox.dev/environment", "acme"));
        assertThatThrownBy(() -> create(bad, "c2")).hasMessageContaining("annotation flox.dev/environment=\"acme\" is invalid");
        Path mode = bundle("mode", List.of("sh"), Map.of("flox.dev/environment", "acme/web", "flox.dev/activate-mode", "fast"));
        assertThatThrownBy(() -> create(mode, "c3")).hasMessageContaining("flox.dev/activate-mode=\"fast\" is invalid");
        Path mutable = bundle("mut", List.of("sh"), Map.of("flox.dev/environment", "acme/web", "flox.dev/nix-mutable", "yes"));
        assertThatThrownBy(() -> create(mutable, "c4")).hasMessageContaining("flox.dev/nix-mutable=\"yes\" is invalid");
    }

    /** A bundle of acme/secret whose pod mounts a secret directory holding {@code token} at /var/run/secrets/flox.dev. */
    Path withSecret(String name, String token) throws IOException {
        Path secret = Files.createDirectories(tmp.resolve("secret-" + name));
        Files.writeString(secret.resolve("floxhub-token"), token + "\n");
        return Bundles.write(tmp.resolve("bundles/" + name), List.of("sh"), Bundles.container(name, Map.of("flox.dev/environment", "acme/secret")),
                List.of(Map.of("destination", "/var/run/secrets/flox.dev", "type", "bind", "source", secret.toString(),
                        "options", List.of("rbind", "ro"))));
    }

    @Test
    void aPrivateEnvironmentNeedsATokenAndTheMountedSecretProvidesIt() throws IOException {
        Path b = bundle("app", List.of("sh"), Map.of("flox.dev/environment", "acme/secret"));
        assertThatThrownBy(() -> create(b, "c1")).hasMessageContaining("the hub refused acme/secret")
                .hasMessageContaining("mount a secret with a hub token at /var/run/secrets/flox.dev (file floxhub-token)");

        Path ok = withSecret("ok", hub.alice);
        assertThat(create(ok, "c2").environment()).isEqualTo("acme/secret:1");
        assertThat(Files.readString(ok.resolve("config.json"))).doesNotContain(hub.alice);
        assertThat(config.containerDir("c2").resolve("activation.json")).content().doesNotContain(hub.alice);
        assertThat(Files.exists(log) ? Files.readString(log) : "").doesNotContain(hub.alice);
    }

    @Test
    void anExpiredOrRevokedTokenIsAnErrorSayingWhichAndWhatToDo() throws IOException {
        String expired = hub.hub.expiredToken("alice");
        assertThatThrownBy(() -> create(withSecret("exp", expired), "c1"))
                .hasMessageContaining("the hub refused acme/secret").hasMessageContaining("expired")
                .hasMessageContaining("Replace the token").hasMessageNotContaining(expired);
        String revoked = hub.hub.revokedToken("alice");
        assertThatThrownBy(() -> create(withSecret("rev", revoked), "c2"))
                .hasMessageContaining("revoked").hasMessageContaining("Replace the token").hasMessageNotContaining(revoked);
    }

    @Test
    void aTokenOfANonMemberIsAnErrorNamingTheOwner() throws IOException {
        String bob = hub.hub.createUser("bob-" + System.nanoTime() % 100000);
        assertThatThrownBy(() -> create(withSecret("bob", bob), "c1"))
                .hasMessageContaining("the hub refused acme/secret").hasMessageContaining("ask an owner of 'acme'")
                .hasMessageNotContaining(bob);
    }

    @Test
    void theNodesTokenFileIsUsedWhenThePodMountsNone() throws IOException {
        Path token = Files.writeString(tmp.resolve("node-token"), hub.alice);
        config = NodeConfig.load(nodeConfig("node2", "token_file = \"" + token + "\""));
        assertThat(create(bundle("app", List.of("sh"), Map.of("flox.dev/environment", "acme/secret")), "c1").environment())
                .isEqualTo("acme/secret:1");
    }

    @Test
    void aPublicEnvironmentWithAnExpiredTokenStartsAndTheHubsWarningIsLogged() throws IOException {
        Path token = Files.writeString(tmp.resolve("node-token"), hub.hub.expiredToken("alice"));
        config = NodeConfig.load(nodeConfig("node5", "token_file = \"" + token + "\""));
        assertThat(create(bundle("app", List.of("sh"), Map.of("flox.dev/environment", "acme/web")), "c1").environment())
                .isEqualTo("acme/web:1");
        assertThat(Files.readString(log)).contains("\"level\":\"warning\"").contains("the hub says about acme/web: ");
    }

    @Test
    void anEnvironmentWithoutPackagesForThisSystemSaysWhichItHas() throws IOException {
        Path b = bundle("app", List.of("sh"), Map.of("flox.dev/environment", "acme/mac"));
        assertThatThrownBy(() -> create(b, "c1"))
                .hasMessageContaining("acme/mac:1 has no packages for this node's system x86_64-linux (it has packages for aarch64-darwin)")
                .hasMessageContaining("options.systems");
    }

    @Test
    void aPackageSignedByAnUntrustedKeyIsRefused() throws IOException {
        String otherKey = "other-1:" + java.util.Base64.getEncoder().encodeToString(new byte[32]);
        Path file = nodeConfig("node3", "");
        Files.writeString(file, Files.readString(file).replace(hub.publicKey(), otherKey));
        config = NodeConfig.load(file);
        Path b = bundle("app", List.of("sh"), Map.of("flox.dev/environment", "acme/web"));
        assertThatThrownBy(() -> create(b, "c1")).isInstanceOf(NixException.class)
                .hasMessageContaining("cannot realise the packages of acme/web:1")
                .hasMessageContaining("trusted_keys in node.toml");
        assertThat(NodeStore.open(config.storeDir()).list()).isEmpty();
    }

    @Test
    void aNarThatDoesNotMatchItsHashIsRefusedAndNothingIsStored() throws Exception {
        // a hub of its own whose stored busybox NAR is damaged on disk (the hub verifies uploads, not what it serves later)
        try (TestHub damaged = new TestHub(tmp.resolve("damaged"), fixture)) {
            damaged.push("web", RunningHub.manifest(List.of("busybox"), Map.of(), null));
            Path busyboxNar = narFile(damaged, fixture.busybox);
            Files.copy(narFile(damaged, fixture.tools), busyboxNar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            config = NodeConfig.load(RuntimeFixture.nodeConfig(tmp.resolve("node4"), damaged.url(), damaged.publicKey(), ""));
            Path b = bundle("app", List.of("sh"), Map.of("flox.dev/environment", "acme/web"));
            assertThatThrownBy(() -> create(b, "c1")).isInstanceOf(NixException.class)
                    .hasMessageContaining("cannot realise the packages of acme/web:1")
                    .hasMessageContaining("nothing between the node and the hub alters downloads");
            assertThat(NodeStore.open(config.storeDir()).list()).isEmpty();
        }
    }

    /** The file of {@code storePath}'s NAR in the hub's data directory (named by its narinfo's URL). */
    static Path narFile(TestHub hub, String storePath) throws IOException {
        String narinfo;
        try (var in = hub.url().resolve("/cache/" + StorePath.parse(storePath).hashPart() + ".narinfo").toURL().openStream()) {
            narinfo = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        String url = narinfo.lines().filter(l -> l.startsWith("URL: ")).findFirst().orElseThrow().substring("URL: ".length());
        String name = Path.of(url).getFileName().toString();
        try (var files = Files.walk(hub.dataDir())) {
            return files.filter(f -> f.getFileName().toString().equals(name) && f.getParent().getFileName().toString().equals("nar"))
                    .findFirst().orElseThrow(() -> new AssertionError("no NAR file " + name + " under " + hub.dataDir()));
        }
    }

    @Test
    void whatTheNodeResolvedLastIsPreparedWhileTheHubAnswersButTheHubsAnswerIsWhatStarts() throws IOException {
        hub.push("moving", RunningHub.manifest(List.of("busybox"), Map.of(), null));
        Create timed = new Create(config, new RuntimeLog(log), true, false);
        Map<String, String> pod = Map.of("flox.dev/environment", "acme/moving", "flox.dev/disable-metrics", "true");
        assertThat(timed.run(bundle("first", List.of("sh"), pod), "m1").environment()).isEqualTo("acme/moving:1");
        assertThat(Files.readString(log)).doesNotContain("guess="); // nothing resolved before: nothing to prepare early

        // a new live generation: generation 1 is prepared while the hub answers, then generation 2 starts
        hub.push("moving", RunningHub.manifest(List.of("busybox", "tools"), Map.of(), null));
        Path b = bundle("second", List.of("tools-hello"), pod);
        Create.Result second = timed.run(b, "m2");
        assertThat(second.environment()).isEqualTo("acme/moving:2");
        assertThat(Files.readAllLines(log).getLast()).contains("create m2 timings").contains("guess=");
        assertThat(second.closure()).extracting(StorePath::toString).contains(fixture.tools);
        assertThat(args(spec(b))).containsExactly(second.view() + "/bin/tools-hello");
        assertThat(Files.readAllLines(config.rootsDir().resolve("m2"))).contains(fixture.tools, second.view().toString());

        // the same answer again: what was prepared early is what starts
        Path third = bundle("third", List.of("tools-hello"), pod);
        Create.Result r = timed.run(third, "m3");
        assertThat(r.environment()).isEqualTo("acme/moving:2");
        assertThat(r.view()).isEqualTo(second.view());
        assertThat(Files.readAllLines(log).getLast()).contains("create m3 timings").contains("guess=");
        assertThat(args(spec(third))).containsExactly(second.view() + "/bin/tools-hello");
        assertThat(Files.readAllLines(config.rootsDir().resolve("m3"))).containsExactlyInAnyOrderElementsOf(
                Files.readAllLines(config.rootsDir().resolve("m2")));
    }

    /** The sandbox of pod {@code sandboxId} and a container bundle of that pod, as containerd writes them. */
    Path sandbox(String sandboxId, Map<String, String> pod) throws IOException {
        Map<String, String> a = new java.util.LinkedHashMap<>(pod);
        a.put("io.kubernetes.cri.container-type", "sandbox");
        return Bundles.write(tmp.resolve("bundles/" + sandboxId), List.of("/pause"), a, List.of());
    }

    Path inPod(String sandboxId, String bundleName, String containerName, Map<String, String> pod, List<Map<String, Object>> mounts)
            throws IOException {
        return inPod(sandboxId, bundleName, containerName, pod, List.of("sh"), mounts);
    }

    Path inPod(String sandboxId, String bundleName, String containerName, Map<String, String> pod, List<String> args,
               List<Map<String, Object>> mounts) throws IOException {
        Map<String, String> a = Bundles.container(containerName, pod);
        a.put("io.kubernetes.cri.sandbox-id", sandboxId);
        return Bundles.write(tmp.resolve("bundles/" + bundleName), args, a, mounts);
    }

    @Test
    void inResidentModeAPodsFirstStartsUseWhatItsSandboxPreparedAndEveryRestartResolvesAgain() throws IOException {
        hub.push("podenv", RunningHub.manifest(List.of("busybox"), Map.of(), null));
        Create daemon = new Create(config, new RuntimeLog(log), true, true);
        Map<String, String> pod = Map.of("flox.dev/environment", "acme/podenv", "flox.dev/disable-metrics", "true");

        // the sandbox passes through untouched; the pod's environment is resolved and prepared meanwhile
        Path pause = sandbox("sb1", pod);
        String pauseBefore = Files.readString(pause.resolve("config.json"));
        assertThat(daemon.run(pause, "sb1").passThrough()).contains("pod sandbox");
        assertThat(Files.readString(pause.resolve("config.json"))).isEqualTo(pauseBefore);

        Create.Result app = daemon.run(inPod("sb1", "app-1", "app", pod, List.of()), "p1");
        assertThat(app.environment()).isEqualTo("acme/podenv:1");
        assertThat(Files.readAllLines(log).getLast()).contains("create p1 timings").contains(" pod=").doesNotContain("resolve=");
        // the closure is the sandbox's gc root (the sandbox outlives its containers), and the pod's mount
        // points, made once under the sandbox's directory, are what the container binds at /nix/store
        assertThat(Files.readAllLines(config.rootsDir().resolve("sb1"))).contains(fixture.busybox, app.view().toString());
        assertThat(config.rootsDir().resolve("p1")).doesNotExist();
        Path points = config.containerDir("sb1").resolve("store");
        assertThat(points.resolve(fixture.busybox.substring("/nix/store/".length()))).isDirectory();
        assertThat(Files.readString(tmp.resolve("bundles/app-1/config.json"))).contains("\"source\":\"" + points + "\"");
        assertThat(config.containerDir("p1").resolve("store")).doesNotExist();
        // a second container of the pod: its first start uses it too
        daemon.run(inPod("sb1", "side-1", "side", pod, List.of()), "p2");
        assertThat(Files.readAllLines(log).getLast()).contains("create p2 timings").contains(" pod=");

        // a restart (a new create of the same container name) resolves again: a generation pushed since starts
        hub.push("podenv", RunningHub.manifest(List.of("busybox", "tools"), Map.of(), null));
        Create.Result restart = daemon.run(inPod("sb1", "app-2", "app", pod, List.of()), "p3");
        assertThat(restart.environment()).isEqualTo("acme/podenv:2");
        assertThat(Files.readAllLines(log).getLast()).contains("create p3 timings").contains("resolve=").doesNotContain(" pod=");

        // a container with a token of its own asks the hub itself, with its token
        Path secret = Files.createDirectories(tmp.resolve("podsecret"));
        Files.writeString(secret.resolve("floxhub-token"), hub.alice + "\n");
        daemon.run(sandbox("sb2", pod), "sb2");
        daemon.run(inPod("sb2", "tok-1", "tok", pod, List.of(Map.of("destination", "/var/run/secrets/flox.dev", "type", "bind",
                "source", secret.toString(), "options", List.of("rbind", "ro")))), "p4");
        assertThat(Files.readAllLines(log).getLast()).contains("create p4 timings").contains("resolve=");

        // a JVM of its own (not resident) prepares nothing for the pod: it would exit before the container comes
        Create perCall = new Create(config, new RuntimeLog(log), true, false);
        Path sb3 = sandbox("sb3", pod);
        perCall.run(sb3, "sb3");
        perCall.run(inPod("sb3", "once-1", "once", pod, List.of()), "p5");
        assertThat(Files.readAllLines(log).getLast()).contains("create p5 timings").contains("resolve=");
        // (the daemon watching the directory saw sb3's bundle and prepared its pod meanwhile: let it finish
        // before the directory goes)
        CreatesAhead.settle(sb3, PLANNING);
        PodPreparations.await("sb3", PLANNING);
    }

    static final java.time.Duration PLANNING = java.time.Duration.ofSeconds(10);

    @Test
    void inResidentModeAContainerOfAPodWhoseSandboxTheDaemonCreatedIsWrittenBeforeItsCreate() throws IOException {
        hub.push("ahead", RunningHub.manifest(List.of("busybox", "tools"), Map.of("GREETING", "early"), null));
        Create daemon = new Create(config, new RuntimeLog(log), true, true);
        Map<String, String> pod = Map.of("flox.dev/environment", "acme/ahead", "flox.dev/disable-metrics", "true");
        // the sandbox's create: from then on the daemon watches the directory of bundles, and the pod's
        // containers run through the launcher (a pod has one runtime)
        daemon.run(sandbox("sa1", pod), "sa1");

        Path b = inPod("sa1", "pa1", "app", pod, List.of("tools-hello", "--flag"), List.of());
        String asWritten = Files.readString(b.resolve("config.json"));
        assertThat(CreatesAhead.settle(b, PLANNING)).as("planned before its create").isTrue();
        // written before its create: the spec, linked as the file the launcher checks, and the activation record
        assertThat(Files.readString(b.resolve("config.json"))).isNotEqualTo(asWritten);
        assertThat(Files.isSameFile(b.resolve("config.json"), b.resolve(Create.PREPARED))).isTrue();
        assertThat(config.containerDir("pa1").resolve("activation.json")).exists();
        // the sandbox's create asked for timings: they are in the bundle's log.json, the shim's --log
        assertThat(Files.readString(b.resolve("log.json"))).contains("create pa1 timings").contains("planned ahead (spec=")
                .contains(" pod=").contains("before its create").doesNotContain("resolve=");
        String written = Files.readString(b.resolve("config.json"));

        // a create that asks all the same (a launcher that came while it was being written) changes nothing
        Create.Result r = daemon.run(b, "pa1");
        assertThat(r.environment()).isEqualTo("acme/ahead:1");
        assertThat(Files.readAllLines(log).getLast()).contains("create pa1 timings").contains("written before its create");
        assertThat(Files.readString(b.resolve("config.json"))).isEqualTo(written);
        // what a create of the same bundle that was not planned ahead writes (a JVM of its own), but for where
        // the mount points are (the pod's, under its sandbox)
        Path copy = Bundles.write(tmp.resolve("elsewhere/copy"), List.of("tools-hello", "--flag"),
                Bundles.container("app", pod), List.of());
        create(copy, "pc1");
        JsonNode planned = spec(b);
        JsonNode direct = spec(copy);
        assertThat(args(planned)).containsExactly(r.view() + "/bin/tools-hello", "--flag").isEqualTo(args(direct));
        assertThat(env(planned)).containsEntry("GREETING", "early").isEqualTo(env(direct));
        assertThat(mountDestinations(planned)).isEqualTo(mountDestinations(direct)).contains("/nix/store", fixture.busybox);
        assertThat(Activation.read(config.containerDir("pa1")).orElseThrow().variables())
                .isEqualTo(Activation.read(config.containerDir("pc1")).orElseThrow().variables());

        // config.json replaced after it was written (containerd does not; whatever did, what is there counts)
        Path c = inPod("sa1", "pa2", "side", pod, List.of("sh"), List.of());
        String original = Files.readString(c.resolve("config.json"));
        assertThat(CreatesAhead.settle(c, PLANNING)).isTrue();
        assertThat(Files.isSameFile(c.resolve("config.json"), c.resolve(Create.PREPARED))).isTrue();
        Files.delete(c.resolve("config.json"));
        Files.writeString(c.resolve("config.json"), original.replace("\"sh\"", "\"tools-hello\""));
        Create.Result again = daemon.run(c, "pa2");
        assertThat(Files.readAllLines(log).getLast()).contains("create pa2 timings").doesNotContain("planned ahead");
        assertThat(args(spec(c))).containsExactly(again.view() + "/bin/tools-hello");
    }

    @Test
    void aContainerOfAPodWhoseSandboxDidNotComeThroughTheDaemonIsOnlyPlannedAndItsCreateWritesThePlan() throws IOException {
        hub.push("ahead4", RunningHub.manifest(List.of("busybox", "tools"), Map.of("GREETING", "early"), null));
        Create daemon = new Create(config, new RuntimeLog(log), true, true);
        Map<String, String> pod = Map.of("flox.dev/environment", "acme/ahead4", "flox.dev/disable-metrics", "true");
        daemon.run(sandbox("sa4", pod), "sa4"); // the directory is watched from now on
        // a sandbox whose bundle was written there but whose create never came to the daemon: its pod's environment
        // is prepared, but its containers may run on another runtime
        assertThat(CreatesAhead.settle(sandbox("sa5", pod), PLANNING)).as("a sandbox is not planned").isFalse();

        Path b = inPod("sa5", "pa5", "app", pod, List.of("tools-hello"), List.of());
        String asWritten = Files.readString(b.resolve("config.json"));
        assertThat(CreatesAhead.settle(b, PLANNING)).as("planned before its create").isTrue();
        assertThat(Files.readString(b.resolve("config.json"))).isEqualTo(asWritten);
        assertThat(b.resolve(Create.PREPARED)).doesNotExist();
        assertThat(config.containerDir("pa5")).doesNotExist();

        Create.Result r = daemon.run(b, "pa5");
        assertThat(Files.readAllLines(log).getLast()).contains("create pa5 timings").contains("planned ahead (spec=")
                .contains(" pod=").contains("record=").doesNotContain("resolve=");
        assertThat(args(spec(b))).containsExactly(r.view() + "/bin/tools-hello");
        assertThat(config.containerDir("pa5").resolve("activation.json")).exists();
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static List<String> mountDestinations(JsonNode spec) {
        List<String> out = new ArrayList<>();
        spec.path("mounts").forEach(m -> out.add(m.path("destination").asText()));
        return out;
    }

    @Test
    void aPlanIsUsedOnlyForTheConfigItWasMadeFromAndACommandOnlyInTheImageWaitsForTheImage() throws IOException {
        hub.push("ahead2", RunningHub.manifest(List.of("busybox", "tools"), Map.of(), null));
        Create daemon = new Create(config, new RuntimeLog(log), true, true);
        Map<String, String> pod = Map.of("flox.dev/environment", "acme/ahead2", "flox.dev/disable-metrics", "true");
        daemon.run(sandbox("sa2", pod), "sa2");
        // (a pod whose sandbox the daemon did not create: its containers are planned, not written ahead)
        CreatesAhead.settle(sandbox("sa6", pod), PLANNING);

        // config.json rewritten after it was planned (containerd does not; whatever did, what is there counts)
        Path b = inPod("sa6", "ahead-2", "app", pod, List.of("sh"), List.of());
        assertThat(CreatesAhead.settle(b, PLANNING)).isTrue();
        Files.writeString(b.resolve("config.json"), Files.readString(b.resolve("config.json")).replace("\"sh\"", "\"tools-hello\""));
        Create.Result r = daemon.run(b, "pa2");
        assertThat(Files.readAllLines(log).getLast()).contains("create pa2 timings").doesNotContain("planned ahead");
        assertThat(args(spec(b))).containsExactly(r.view() + "/bin/tools-hello");

        // a command that only the image has: the image is mounted just before runc create, so its create resolves it
        Path c = inPod("sa2", "ahead-3", "side", pod, List.of("only-in-image"), List.of());
        Path inImage = Files.createDirectories(c.resolve("rootfs/usr/bin")).resolve("only-in-image");
        Files.writeString(inImage, "#!/bin/sh\n");
        inImage.toFile().setExecutable(true);
        assertThat(CreatesAhead.settle(c, PLANNING)).as("not planned").isFalse();
        assertThat(c.resolve(Create.PREPARED)).doesNotExist();
        daemon.run(c, "pa3");
        assertThat(Files.readAllLines(log).getLast()).contains("create pa3 timings").doesNotContain("planned ahead");
        assertThat(args(spec(c))).containsExactly("only-in-image");
    }

    @Test
    void aConfigReadBeforeContainerdWroteItIsPlannedAtItsWrite() throws IOException {
        hub.push("ahead5", RunningHub.manifest(List.of("busybox"), Map.of(), null));
        Create daemon = new Create(config, new RuntimeLog(log), true, true);
        Map<String, String> pod = Map.of("flox.dev/environment", "acme/ahead5", "flox.dev/disable-metrics", "true");
        daemon.run(sandbox("sa7", pod), "sa7");
        Map<String, String> a = Bundles.container("app", pod);
        a.put("io.kubernetes.cri.sandbox-id", "sa7");
        // (written outside the watched directory, where it would be planned itself)
        String text = Files.readString(Bundles.write(tmp.resolve("elsewhere/staging"), List.of("sh"), a, List.of()).resolve("config.json"));

        // containerd creates config.json, then writes it: the watch may read it in between
        Path b = Files.createDirectories(tmp.resolve("bundles/pa7/rootfs")).getParent();
        sleep(200); // (the new bundle is watched by then)
        Files.createFile(b.resolve("config.json"));
        assertThat(CreatesAhead.settle(b, java.time.Duration.ofMillis(300))).as("nothing to plan yet").isFalse();
        Files.writeString(b.resolve("config.json"), text);
        assertThat(CreatesAhead.settle(b, PLANNING)).as("planned at its write").isTrue();
        assertThat(Files.isSameFile(b.resolve("config.json"), b.resolve(Create.PREPARED))).isTrue();
    }

    @Test
    void aContainerWrittenAheadIsReportedOnceRuncCreatedItAndOneWhoseCreateNeverCameLeavesNothingBehind() throws Exception {
        hub.push("ahead3", RunningHub.manifest(List.of("busybox"), Map.of(), null));
        Create daemon = new Create(config, new RuntimeLog(log), true, true);
        Map<String, String> pod = Map.of("flox.dev/environment", "acme/ahead3");
        daemon.run(sandbox("sa3", pod), "sa3");

        // never created: written ahead, then containerd removes the bundle (renamed to .ID first, then deleted)
        Path b = inPod("sa3", "gone-1", "gone", pod, List.of("sh"), List.of());
        assertThat(CreatesAhead.settle(b, PLANNING)).isTrue();
        assertThat(config.containerDir("gone-1").resolve("activation.json")).exists();
        // a container without flox.dev annotations (another runtime's, in the same directory): not even planned
        Path plain = Bundles.write(tmp.resolve("bundles/plain-1"), List.of("sh"), Bundles.container("plain", Map.of()), List.of());
        String plainWritten = Files.readString(plain.resolve("config.json"));
        assertThat(CreatesAhead.settle(plain, PLANNING)).isFalse();
        Path renamed = Files.move(b, b.resolveSibling(".gone-1"));
        org.imageless.nix.nar.NarUnpacker.deleteTree(renamed);

        // created: runc writes init.pid into the bundle (the shim's --pid-file)
        Path c = inPod("sa3", "made-1", "made", pod, List.of("sh"), List.of());
        assertThat(CreatesAhead.settle(c, PLANNING)).isTrue();
        Files.writeString(c.resolve(".init.pid"), "4242");
        Files.move(c.resolve(".init.pid"), c.resolve(CreatesAhead.INIT_PID));

        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
        while (running("ahead3").isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(running("ahead3")).as("only the container runc created is reported")
                .extracting(org.imageless.hub.activation.Running::container).containsExactly("made");
        assertThat(config.containerDir("gone-1")).as("its activation record went with its bundle").doesNotExist();
        assertThat(config.containerDir("made-1").resolve("activation.json")).exists();
        assertThat(Files.readString(plain.resolve("config.json"))).isEqualTo(plainWritten);
        assertThat(config.containerDir("plain-1")).doesNotExist();
        assertThat(Files.list(config.rootsDir()).map(p -> p.getFileName().toString()).toList())
                .as("gc roots: the pod's sandbox only").containsExactly("sa3");
    }

    @Test
    void hubUnreachableStartsWhatTheNodeResolvedBeforeAndSaysSo() throws IOException {
        create(bundle("app", List.of("sh"), Map.of("flox.dev/environment", "acme/web")), "c1");
        create(bundle("pinned", List.of("sh"), Map.of("flox.dev/environment", "acme/web:1")), "c2");
        URI dead = deadUrl();
        Path file = config.stateDir().getParent().resolve("node.toml");
        Files.writeString(file, Files.readString(file).replace(hub.url().toString(), dead.toString()));
        config = NodeConfig.load(file);

        assertThat(create(bundle("again", List.of("sh"), Map.of("flox.dev/environment", "acme/web")), "c3").environment())
                .isEqualTo("acme/web:1");
        assertThat(Files.readString(log)).contains("\"level\":\"warning\"").contains("cannot reach the hub at " + dead)
                .contains("the last live generation this node resolved");
        assertThat(create(bundle("again2", List.of("sh"), Map.of("flox.dev/environment", "acme/web:1")), "c4").environment())
                .isEqualTo("acme/web:1");

        Path never = bundle("never", List.of("sh"), Map.of("flox.dev/environment", "acme/hooked"));
        assertThatThrownBy(() -> create(never, "c5")).hasMessageContaining("cannot reach the hub at " + dead)
                .hasMessageContaining("this node has never resolved acme/hooked")
                .hasMessageContaining("check hub_url in node.toml");
    }

    @Test
    void theSandboxAndSkippedContainersAreLeftExactlyAsTheyWere() throws IOException {
        Path sandbox = Bundles.write(tmp.resolve("bundles/pause"), List.of("/pause"),
                Map.of("io.kubernetes.cri.container-type", "sandbox", "flox.dev/environment", "acme/web"), List.of());
        String before = Files.readString(sandbox.resolve("config.json"));
        assertThat(create(sandbox, "s1").passThrough()).contains("pod sandbox");
        assertThat(Files.readString(sandbox.resolve("config.json"))).isEqualTo(before);

        Path skipped = bundle("sidecar", List.of("nginx"), Map.of("flox.dev/environment", "acme/web",
                "flox.dev/skip-containers", "sidecar"));
        String skippedBefore = Files.readString(skipped.resolve("config.json"));
        assertThat(create(skipped, "s2").passThrough()).isPresent();
        assertThat(Files.readString(skipped.resolve("config.json"))).isEqualTo(skippedBefore);
        assertThat(config.rootsDir().resolve("s2")).doesNotExist();
    }

    @Test
    void execGetsTheSameEnvironmentUnlessTheContainerSkipsExec() throws IOException {
        Path b = bundle("app", List.of("sh"), Map.of("flox.dev/environment", "acme/hooked"));
        String view = create(b, "c1").view().toString();
        Path process = Files.writeString(tmp.resolve("process.json"),
                "{\"args\":[\"printenv\",\"FLOX_ENV\"],\"env\":[\"PATH=/usr/bin:/bin\",\"HOSTNAME=x\"],\"cwd\":\"/\",\"terminal\":false}");

        assertThat(Exec.run(config.containerDir("c1").resolve("activation.json"), process)).isTrue();

        JsonNode p = JSON.readTree(Files.readString(process));
        Map<String, String> env = new HashMap<>();
        p.path("env").forEach(e -> env.put(e.asText().split("=", 2)[0], e.asText().split("=", 2)[1]));
        assertThat(env).containsEntry("FLOX_ENV", view).containsEntry("HOSTNAME", "x");
        assertThat(env.get("PATH")).startsWith(view + "/bin:");
        assertThat(p.path("args").get(0).asText()).isEqualTo(view + "/bin/bash");
        assertThat(p.path("args").toString()).contains(view + "/bin/printenv");

        Path skip = bundle("noexec", List.of("sh"), Map.of("flox.dev/environment", "acme/web",
                "flox.dev/skip-containers-exec", "noexec"));
        create(skip, "c2");
        Path other = Files.writeString(tmp.resolve("p2.json"), "{\"args\":[\"ls\"],\"env\":[],\"cwd\":\"/\"}");
        assertThat(Exec.run(config.containerDir("c2").resolve("activation.json"), other)).isFalse();
        assertThat(Files.readString(other)).isEqualTo("{\"args\":[\"ls\"],\"env\":[],\"cwd\":\"/\"}");
        assertThat(env(spec(skip)).get("PATH")).contains("/nix/store/");
    }

    @Test
    void nixMutableGivesAPrivateOverlayAndNeverTheNodeStore() throws IOException {
        Path b = bundle("app", List.of("sh"), Map.of("flox.dev/environment", "acme/web", "flox.dev/nix-mutable", "true"));
        create(b, "m1");
        List<JsonNode> overlays = new ArrayList<>();
        spec(b).path("mounts").forEach(m -> {
            if (m.path("type").asText().equals("overlay")) {
                overlays.add(m);
            }
        });
        assertThat(overlays).hasSize(3);
        assertThat(overlays.getFirst().path("options").toString())
                .contains("lowerdir=" + config.storeDir()).contains("upperdir=" + config.mutableDir("m1"));
        assertThat(config.mutableDir("m1").resolve("store")).isDirectory();
    }

    @Test
    void failuresBecomeOneJsonErrorLineInRuncsLog() throws IOException {
        Path b = bundle("app", List.of("echoip"), Map.of("flox.dev/environment", "acme/web"));
        Path file = config.stateDir().getParent().resolve("node.toml");

        int rc = ContainerRuntime.run(new String[] {"create", log.toString(), b.toString(), "c1"},
                Map.of("FLOX_NODE_CONFIG", file.toString()));

        assertThat(rc).isEqualTo(1);
        List<String> lines = Files.readAllLines(log);
        assertThat(lines).hasSize(1);
        JsonNode line = JSON.readTree(lines.getFirst());
        assertThat(line.path("level").asText()).isEqualTo("error");
        assertThat(line.path("msg").asText()).startsWith("flox: container 'app' with acme/web:1: ResolveCommand: command 'echoip'");
        assertThat(line.path("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");

        rc = ContainerRuntime.run(new String[] {"create", log.toString(), b.toString(), "c1"},
                Map.of("FLOX_NODE_CONFIG", tmp.resolve("absent.toml").toString()));
        assertThat(rc).isEqualTo(1);
        assertThat(Files.readAllLines(log).getLast()).contains("absent.toml does not exist");
    }

    @Test
    void containersOfOneEnvironmentCreatedAtOnceDownloadEachPathOnce() throws Exception {
        List<java.util.concurrent.Future<Create.Result>> results = new ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 8; i++) {
                Path b = bundle("app" + i, List.of("sh"), Map.of("flox.dev/environment", "acme/web", "flox.dev/disable-metrics", "true"));
                String id = "p" + i;
                results.add(pool.submit(() -> create(b, id)));
            }
        }
        java.util.Set<StorePath> views = new java.util.HashSet<>();
        int fetched = 0;
        for (var r : results) {
            views.add(r.get().view());
            fetched += r.get().fetched().size();
        }
        assertThat(views).hasSize(1);
        assertThat(fetched).isEqualTo(2);
        assertThat(NodeStore.open(config.storeDir()).verify()).isEmpty();
    }

    static URI deadUrl() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
    }
}
