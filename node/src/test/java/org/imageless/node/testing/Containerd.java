package org.imageless.node.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.imageless.node.containerd.ContainerdConfig;
import org.imageless.node.cri.CriClient;
import org.imageless.node.cri.CriException;
import org.imageless.node.cri.api.PodSandbox;

/**
 * A private containerd (run as root) with its CRI plugin, for tests: its own root, state
 * directory, socket and config.toml under {@code dir}, overlayfs, a CNI bridge network of its own,
 * the default handler {@code runc} and extra handlers (runc shim with option {@code BinaryName},
 * {@code pod_annotations = ["flox.dev/*"]}), and three images imported into {@code k8s.io}:
 * {@link TestImages#PAUSE} (the sandbox image), {@link TestImages#BUSYBOX} and
 * {@code flox/empty:1.0.0}.
 *
 * <p>{@link #close()} removes every pod sandbox, stops containerd and its shims and unmounts
 * whatever is left under {@code dir} (and nothing else).
 */
public final class Containerd implements AutoCloseable {

    private static final List<String> TOOLS = List.of("containerd", "ctr", "containerd-shim-runc-v2", "runc", "gcc");
    private static final String APT = "apt-get install -y containerd runc containernetworking-plugins gcc libc6-dev"
            + " (or run scripts/install-deps.sh)";

    private final Path dir;
    private final Path socket;
    private final Process process;
    private final CriClient cri;
    private final String bridge;

    private Containerd(Path dir, Path socket, Process process, CriClient cri, String bridge) {
        this.dir = dir;
        this.socket = socket;
        this.process = process;
        this.cri = cri;
        this.bridge = bridge;
    }

    /** Starts containerd with only the default {@code runc} handler. */
    public static Containerd start(Path dir) {
        return start(dir, Map.of());
    }

    /**
     * Starts containerd in {@code dir} (an empty directory, short enough for a unix socket path)
     * with the default {@code runc} handler plus one handler per entry of {@code extraRuntimes}:
     * handler name → the binary the runc shim calls instead of runc ({@code BinaryName}).
     */
    public static Containerd start(Path dir, Map<String, Path> extraRuntimes) {
        return start(dir, extraRuntimes, Map.of());
    }

    /**
     * As {@link #start(Path, Map)}, with extra environment variables for containerd. The runc shim,
     * and so every runtime binary, inherits containerd's environment (e.g. {@code FLOX_NODE_CONFIG}).
     */
    public static Containerd start(Path dir, Map<String, Path> extraRuntimes, Map<String, String> environment) {
        requireTools();
        try {
            Path root = dir.toAbsolutePath();
            int subnet = ThreadLocalRandom.current().nextInt(256);
            int second = 200 + ThreadLocalRandom.current().nextInt(50);
            String bridge = "il" + Long.toHexString(ProcessHandle.current().pid() & 0xffff) + "x" + Integer.toHexString(subnet);
            // (refuses a directory too long for the socket path before anything is made)
            ContainerdConfig config = new ContainerdConfig(root, TestImages.PAUSE, extraRuntimes, ContainerdConfig.DEBIAN_CNI_BIN,
                    bridge, "10." + second + "." + subnet + ".0/24", true);
            Path socket = config.socket();
            Path images = Files.createDirectories(root.resolve("images"));
            Files.createDirectories(root.resolve("pod-logs"));
            config.write();

            ProcessBuilder builder = new ProcessBuilder("containerd", "--config", config.configFile().toString());
            builder.environment().putAll(environment);
            Process process = builder
                    .redirectErrorStream(true)
                    .redirectOutput(root.resolve("containerd.log").toFile())
                    .start();
            CriClient cri = null;
            try {
                waitFor(socket, process, root);
                cri = CriClient.connect(socket, Duration.ofMinutes(2));
                waitForCri(cri, process, root);
                Containerd containerd = new Containerd(root, socket, process, cri, bridge);
                containerd.importImage(TestImages.pause(images));
                containerd.importImage(TestImages.busybox(images));
                containerd.importImage(TestImages.empty(images));
                return containerd;
            } catch (RuntimeException | Error e) {
                if (cri != null) {
                    cri.close();
                }
                new Containerd(root, socket, process, null, bridge).close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start containerd in " + dir, e);
        }
    }

    /** The containerd directory given to {@link #start}. */
    public Path dir() {
        return dir;
    }

    /** containerd's socket (gRPC, CRI included). */
    public Path socket() {
        return socket;
    }

    /** A CRI client on {@link #socket()}, closed with this fixture. */
    public CriClient cri() {
        return cri;
    }

    /** A directory for pod logs ({@code log_directory} of a sandbox), under {@link #dir()}. */
    public Path podLogs() {
        return dir.resolve("pod-logs");
    }

    /**
     * Runs a Pod manifest through the CRI as kubelet would ({@link org.imageless.node.pod.PodRunner}):
     * sandbox with the pod's annotations and {@code runtimeClassName} as handler, then its
     * containers; secret volumes from {@code secrets} (secret name → directory of key files),
     * emptyDir volumes under {@link #dir()}. Throws the runtime's error verbatim
     * ({@link org.imageless.node.cri.CriException}) after removing the sandbox again.
     */
    public org.imageless.node.pod.PodRunner.RunningPod runPod(String podYaml, Map<String, Path> secrets) {
        var pod = org.imageless.node.pod.PodManifest.parse(podYaml, "pod manifest");
        var configs = new org.imageless.node.pod.PodConfigs(pod, secrets, podLogs(), dir.resolve("pod-volumes"));
        return new org.imageless.node.pod.PodRunner(cri).run(configs, Duration.ofMinutes(2));
    }

    /** The log lines of a container (as kubectl logs prints them). */
    public List<String> logs(String containerId) {
        return new org.imageless.node.pod.PodRunner(cri).logs(containerId);
    }

    /** containerd's own log (debug level), for failure messages. */
    public String log() {
        try {
            return Files.readString(dir.resolve("containerd.log"));
        } catch (IOException e) {
            return "(no containerd log: " + e.getMessage() + ")";
        }
    }

    /** Imports an OCI image-layout archive into the {@code k8s.io} namespace. */
    public void importImage(Path archive) {
        ctr("images", "import", archive.toString());
    }

    /** Runs {@code ctr -a SOCKET -n k8s.io ARGS…} and returns its output; fails with it on a non-zero exit. */
    public String ctr(String... args) {
        List<String> command = new ArrayList<>(List.of("ctr", "-a", socket.toString(), "-n", "k8s.io"));
        command.addAll(List.of(args));
        return TestImages.output(command);
    }

    private static void requireTools() {
        if (ProcessHandle.current().info().user().map(u -> !u.equals("root")).orElse(false)) {
            throw new IllegalStateException("the test containerd must run as root (it mounts overlayfs and runs runc)");
        }
        List<String> missing = new ArrayList<>();
        for (String tool : TOOLS) {
            if (!onPath(tool)) {
                missing.add(tool);
            }
        }
        for (String plugin : List.of("bridge", "host-local", "loopback")) {
            if (!Files.isExecutable(ContainerdConfig.DEBIAN_CNI_BIN.resolve(plugin))) {
                missing.add(ContainerdConfig.DEBIAN_CNI_BIN.resolve(plugin).toString());
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("cannot start the test containerd: missing " + String.join(", ", missing)
                    + "; install with: " + APT);
        }
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
    }

    private static void waitFor(Path socket, Process process, Path root) {
        Instant deadline = Instant.now().plusSeconds(30);
        while (!Files.exists(socket)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("containerd exited with " + process.exitValue() + ":\n" + tail(root));
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("containerd did not open " + socket + " within 30 s:\n" + tail(root));
            }
            sleep(20);
        }
    }

    private static void waitForCri(CriClient cri, Process process, Path root) {
        Instant deadline = Instant.now().plusSeconds(30);
        while (true) {
            try {
                cri.version();
                return;
            } catch (CriException e) {
                if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("containerd's CRI plugin did not answer (" + e.getMessage() + "):\n" + tail(root));
                }
                sleep(50);
            }
        }
    }

    private static String tail(Path root) {
        try {
            List<String> lines = Files.readAllLines(root.resolve("containerd.log"), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Thread.sleep for polling loops: an interrupt keeps the flag and fails the test. */
    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        List<String> problems = new ArrayList<>();
        if (cri != null && process.isAlive()) {
            try {
                for (PodSandbox pod : cri.listPodSandbox()) {
                    try {
                        cri.stopPodSandbox(pod.getId());
                        cri.removePodSandbox(pod.getId());
                    } catch (CriException e) {
                        problems.add(e.getMessage());
                    }
                }
            } catch (CriException e) {
                problems.add(e.getMessage());
            }
            cri.close();
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        killShims();
        unmountUnder(dir);
        deleteBridge();
        removeOwnTrees();
        if (!problems.isEmpty()) {
            System.err.println("containerd fixture clean-up: " + String.join("; ", problems));
        }
    }

    /** Shims outlive containerd: end those started for this containerd (their command line names its socket). */
    private void killShims() {
        String address = socket.toString();
        ProcessHandle.allProcesses()
                .filter(p -> p.info().command().map(c -> c.endsWith("containerd-shim-runc-v2")).orElse(false))
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains(address)).orElse(false))
                .forEach(p -> {
                    p.destroyForcibly();
                    try {
                        p.onExit().get(5, TimeUnit.SECONDS);
                    } catch (Exception ignored) {
                        // reported by the unmount below if it matters
                    }
                });
    }

    /** Unmounts (lazily, deepest first) every mount point under {@code root}; touches nothing else. */
    static void unmountUnder(Path root) {
        String prefix = root.toAbsolutePath().normalize() + "/";
        List<String> points = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] fields = line.split(" ");
                String point = fields[4].replace("\\040", " ");
                if (point.startsWith(prefix)) {
                    points.add(point);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        points.sort(Comparator.comparingInt(String::length).reversed());
        for (String point : points) {
            try {
                new ProcessBuilder("umount", "-l", point).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(10, TimeUnit.SECONDS);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** containerd's root and state hold image trees (symlinks to /bin/busybox…): remove them, staying on this file system. */
    private void removeOwnTrees() {
        try {
            new ProcessBuilder("rm", "-rf", "--one-file-system", dir.resolve("root").toString(), dir.resolve("state").toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void deleteBridge() {
        try {
            new ProcessBuilder("ip", "link", "delete", bridge).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            // no bridge was made (no pod ran) or no iproute2: nothing to undo
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
