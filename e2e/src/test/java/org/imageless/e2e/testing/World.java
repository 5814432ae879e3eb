package org.imageless.e2e.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.imageless.hub.testing.RunningHub;
import org.imageless.nix.testing.RealNix;
import org.imageless.node.cri.CriException;
import org.imageless.node.pod.PodRunner;
import org.imageless.node.testing.Containerd;

/**
 * Everything the end-to-end tests run on, started once per test class: packages built by real nix
 * (busybox-static with applet links, and small packages whose scripts run busybox's sh), uploaded to
 * a real hub ({@link RunningHub}) with {@code nix copy --to <hub>/cache} and a netrc token, published
 * in its catalog as {@code acme/<name>}; and a private containerd + runc whose runtime handlers run
 * {@code flox-container-runtime}, one handler per node configuration:
 * <ul>
 *   <li>{@code flox}: the node most tests use (trusts the hub's key);
 *   <li>{@code flox-fresh}: an empty store, for counting downloads;
 *   <li>{@code flox-wrongkey}: trusts a key the hub does not sign with;
 *   <li>{@code flox-nohub}: a hub_url nothing listens on, and an empty store;
 *   <li>{@code flox-cutoff}: reaches the hub through a {@link HubProxy} a test can cut.
 * </ul>
 */
public final class World implements AutoCloseable {

    public static final String SYSTEM = RunningHub.SYSTEM;

    public final Path dir;
    public final RealNix nix;
    /** busybox-static: bin/busybox, applet links, and bin/bash (a script running busybox sh, for hooks). */
    public final String busybox;
    /** bin/hello-tools (a busybox sh script printing "tools-hello"); references busybox. */
    public final String tools;
    /** bin/echoip: prints "echoip serving" and its arguments, then sleeps (a stand-in for the server); references busybox. */
    public final String echoip;
    /** include/devlib.h, lib/pkgconfig/devlib.pc: something dev mode points at. */
    public final String devlib;
    public final RunningHub hub;
    /** alice's token; alice owns org acme. */
    public final String alice;
    public final Containerd containerd;
    public final Node main;
    public final Node fresh;
    public final Node wrongKey;
    public final Node noHub;
    /** The node behind {@link #proxy}: its hub can be cut off. */
    public final Node cutOff;
    public final HubProxy proxy;

    private World(Path dir, RealNix nix, String busybox, String tools, String echoip, String devlib, RunningHub hub,
                  String alice, Containerd containerd, Node main, Node fresh, Node wrongKey, Node noHub, Node cutOff,
                  HubProxy proxy) {
        this.dir = dir;
        this.nix = nix;
        this.busybox = busybox;
        this.tools = tools;
        this.echoip = echoip;
        this.devlib = devlib;
        this.hub = hub;
        this.alice = alice;
        this.containerd = containerd;
        this.main = main;
        this.fresh = fresh;
        this.wrongKey = wrongKey;
        this.noHub = noHub;
        this.cutOff = cutOff;
        this.proxy = proxy;
    }

    public static World start() {
        if (!Files.isExecutable(Path.of("/bin/busybox"))) {
            throw new AssertionError("busybox-static is required (/bin/busybox): scripts/install-deps.sh installs it");
        }
        Path dir;
        try {
            // short: containerd's socket lives under it
            dir = Files.createTempDirectory(Path.of("/tmp"), "e2e-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        RealNix nix = RealNix.in(dir.resolve("nix"));
        String busybox = nix.build("""
                derivation {
                  name = "busybox-1.36.1"; system = "x86_64-linux"; builder = "/bin/sh";
                  args = [ "-c" ''
                    /bin/busybox mkdir -p $out/bin
                    /bin/busybox cp /bin/busybox $out/bin/busybox
                    for a in sh ls cat echo env touch sleep id mkdir test readlink pwd rm head wc hostname; do
                      /bin/busybox ln -s busybox $out/bin/$a
                    done
                    printf '#!%s/bin/sh\\nexec %s/bin/sh "$@"\\n' $out $out > $out/bin/bash
                    /bin/busybox chmod +x $out/bin/bash
                  '' ];
                }
                """);
        String tools = nix.build(script("tools-1.0", "hello-tools", "echo tools-hello", busybox));
        String echoip = nix.build(script("echoip-1.0", "echoip", "echo \"echoip serving $*\"; exec @BB@/bin/sleep 3600", busybox));
        String devlib = nix.build("""
                derivation {
                  name = "devlib-1.0"; system = "x86_64-linux"; builder = "/bin/sh";
                  args = [ "-c" ''
                    /bin/busybox mkdir -p $out/include $out/lib/pkgconfig
                    echo '#define DEVLIB 1' > $out/include/devlib.h
                    echo 'Name: devlib' > $out/lib/pkgconfig/devlib.pc
                  '' ];
                }
                """);
        RealNix.KeyPair otherKey;
        try {
            otherKey = nix.generateKey("not-the-hub-1", Files.createDirectories(dir.resolve("keys")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }

        RunningHub hub = RunningHub.start(dir.resolve("hub"));
        Containerd containerd = null;
        HubProxy proxy = null;
        try {
            String alice = hub.createUser("alice");
            hub.createOrg("acme", "alice");
            hub.upload(nix, dir, alice, "", busybox, tools, echoip, devlib);
            hub.publishPackage("acme", "busybox", "1.36.1", Map.of(SYSTEM, busybox), alice);
            hub.publishPackage("acme", "tools", "1.0", Map.of(SYSTEM, tools), alice);
            hub.publishPackage("acme", "echoip", "1.0", Map.of(SYSTEM, echoip), alice);
            hub.publishPackage("acme", "devlib", "1.0", Map.of(SYSTEM, devlib), alice);
            hub.publishPackage("acme", "mactool", "1.0", Map.of("aarch64-darwin", tools), alice);

            Node main = Node.write("flox", dir.resolve("node-main"), hub.url(), hub.publicKey());
            Node fresh = Node.write("flox-fresh", dir.resolve("node-fresh"), hub.url(), hub.publicKey());
            Node wrongKey = Node.write("flox-wrongkey", dir.resolve("node-wrongkey"), hub.url(), otherKey.publicKey());
            Node noHub = Node.write("flox-nohub", dir.resolve("node-nohub"), "http://127.0.0.1:1", hub.publicKey());
            proxy = new HubProxy(hub.server().port());
            Node cutOff = Node.write("flox-cutoff", dir.resolve("node-cutoff"), proxy.url(), hub.publicKey());
            Map<String, Path> handlers = new LinkedHashMap<>();
            for (Node n : List.of(main, fresh, wrongKey, noHub, cutOff)) {
                handlers.put(n.handler(), n.launcher());
            }
            containerd = Containerd.start(dir.resolve("ctd"), handlers);
            return new World(dir, nix, busybox, tools, echoip, devlib, hub, alice, containerd, main, fresh, wrongKey, noHub,
                    cutOff, proxy);
        } catch (RuntimeException | Error e) {
            if (containerd != null) {
                containerd.close();
            }
            if (proxy != null) {
                proxy.close();
            }
            hub.close();
            throw e;
        }
    }

    /** A package with one executable script {@code bin/<command>} run by busybox's sh ({@code @BB@} in the body: busybox's path). */
    private static String script(String name, String command, String body, String busybox) {
        if (body.contains("'")) {
            throw new IllegalArgumentException("no single quotes in a script body (they would end Nix's indented string)");
        }
        return """
                derivation {
                  name = "%s"; system = "x86_64-linux"; builder = "/bin/sh";
                  args = [ "-c" ''
                    /bin/busybox mkdir -p $out/bin
                    printf '#!%%s/bin/sh\\n%%s\\n' ${builtins.storePath "%s"} '%s' > $out/bin/%s
                    /bin/busybox chmod +x $out/bin/%s
                  '' ];
                }
                """.formatted(name, busybox, body.replace("@BB@", busybox), command, command);
    }

    /** Uploads {@code storePath} (uncompressed) and publishes it in the catalog as {@code acme/<name>} 1.0 for x86_64-linux. */
    public void uploadAndPublish(String name, String storePath) {
        hub.upload(nix, dir, alice, "?compression=none", storePath);
        hub.publishPackage("acme", name, "1.0", Map.of(SYSTEM, storePath), alice);
    }

    // ------------------------------------------------------------------ environments

    /** Pushes the next generation of {@code acme/name} (locked by the hub's catalog) as alice, as {@code flox push} would; returns its number. */
    public int push(String name, List<String> pkgs, Map<String, String> vars, String hook, String... systems) {
        String manifest = RunningHub.manifest(pkgs, vars, hook, systems);
        return hub.pushGeneration("acme", name, manifest, hub.lockFor("acme", manifest, alice), alice);
    }

    // ------------------------------------------------------------------ pods

    /** Runs a Pod manifest through the CRI as kubelet does (sandbox, then containers), with secret volumes. */
    public PodRunner.RunningPod run(String podYaml, Map<String, Path> secrets) {
        return containerd.runPod(podYaml, secrets);
    }

    public PodRunner.RunningPod run(String podYaml) {
        return run(podYaml, Map.of());
    }

    /** The CRI error the pod's start fails with (its message is the runtime's, verbatim); fails if the pod starts. */
    public CriException failure(String podYaml, Map<String, Path> secrets) {
        try {
            PodRunner.RunningPod pod = run(podYaml, secrets);
            remove(pod);
            throw new AssertionError("the pod started, but it should have failed:\n" + podYaml);
        } catch (CriException e) {
            return e;
        }
    }

    public CriException failure(String podYaml) {
        return failure(podYaml, Map.of());
    }

    /** StopPodSandbox + RemovePodSandbox, as kubelet does when a pod is deleted. */
    public void remove(PodRunner.RunningPod pod) {
        containerd.cri().stopPodSandbox(pod.sandboxId());
        containerd.cri().removePodSandbox(pod.sandboxId());
    }

    /** The id of the pod's container {@code name}. */
    public static String container(PodRunner.RunningPod pod, String name) {
        return pod.containers().stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("pod " + pod.name() + " has no container " + name)).id();
    }

    /** The container's log once a line containing {@code text} is in it (waits up to 20 s), as kubectl logs prints it. */
    public String awaitLog(String containerId, String text) {
        Instant deadline = Instant.now().plusSeconds(20);
        while (true) {
            String log = String.join("\n", containerd.logs(containerId));
            if (log.contains(text) || Instant.now().isAfter(deadline)) {
                return log;
            }
            Containerd.sleep(50);
        }
    }

    /** CRI ExecSync (as kubectl exec and exec probes do); stdout + stderr and the exit code. */
    public record Exec(int exitCode, String stdout, String stderr) {}

    public Exec exec(String containerId, String... cmd) {
        var r = containerd.cri().execSync(containerId, List.of(cmd), 30);
        return new Exec(r.getExitCode(), r.getStdout().toStringUtf8(), r.getStderr().toStringUtf8());
    }

    /** The runc --log file of a running container (where the runtime writes its warnings), as the shim keeps it. */
    public String runtimeLog(String containerId) throws IOException {
        Path log = containerd.dir().resolve("state/io.containerd.runtime.v2.task/k8s.io").resolve(containerId).resolve("log.json");
        return Files.exists(log) ? Files.readString(log) : "(no " + log + ")";
    }

    /** What a node's state directory holds for container {@code id}, and the runtime's log, for failure messages. */
    public String debugState(Node node, String id) {
        StringBuilder out = new StringBuilder();
        try (var s = Files.walk(node.state().resolve("containers"), 2)) {
            s.forEach(p -> out.append(p).append('\n'));
        } catch (IOException e) {
            out.append(e).append('\n');
        }
        try {
            out.append(Files.readString(node.state().resolve("runtime-log.json")));
        } catch (IOException e) {
            out.append("(no runtime-log.json)");
        }
        return out.toString();
    }

    /** The hub's cache request counters (from /metrics), for failure messages. */
    public String metrics() {
        return String.join("\n", metricsText().lines().filter(l -> l.contains("/cache")).toList());
    }

    /** The hub's count of answered {@code GET /cache/nar/{file}} requests (its Prometheus /metrics). */
    public long narDownloads() {
        return answered("/cache/nar/{file}");
    }

    /** The hub's count of answered {@code GET /api/v1/environments/{owner}/{name}/generations/{generation}} (the runtime's lookups). */
    public long generationLookups() {
        return answered("/api/v1/environments/{owner}/{name}/generations/{generation}");
    }

    /** The hub's count of {@code GET} requests of {@code route} it answered 200 (its Prometheus /metrics). */
    private long answered(String route) {
        return hub.answered("GET", route, 200);
    }

    private String metricsText() {
        return httpGet("/metrics");
    }

    /** The body of an anonymous GET of {@code path} on the hub; fails unless it answers 200. */
    public String httpGet(String path) {
        return hub.getText(path);
    }

    /** Every store path name in a node's store directory. */
    public static List<String> storeEntries(Node node) {
        try (var s = Files.list(node.store())) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            containerd.close();
        } finally {
            proxy.close();
            hub.close();
            try {
                new ProcessBuilder("rm", "-rf", "--one-file-system", dir.toString()).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** How long a step took, for messages. */
    public static Duration since(Instant start) {
        return Duration.between(start, Instant.now());
    }
}
