package org.imageless.e2e.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * One node's configuration behind one runtime handler of the test containerd: a launcher generated
 * from {@code runtime/src/main/sh/flox-container-runtime} (as {@code scripts/make-launchers.sh} does,
 * with this test's class path) that sets {@code FLOX_NODE_CONFIG} to this node's {@code node.toml},
 * whose store and state are under {@link #dir()}. With system property {@code e2e.launcher} (a
 * launcher {@code make build} wrote, e.g. {@code bin/flox-container-runtime}), a copy of that
 * launcher with the same line added.
 */
public record Node(String handler, Path dir, Path launcher, Path config) {

    /** The launcher template in the source tree (the e2e module's base directory is the working directory). */
    static final Path TEMPLATE = Path.of("../runtime/src/main/sh/flox-container-runtime");

    /** Writes node.toml ({@code hubUrl}, trusting {@code trustedKey}) and the launcher for {@code handler} under {@code dir}. */
    static Node write(String handler, Path dir, String hubUrl, String trustedKey) {
        try {
            Files.createDirectories(dir);
            Path config = Files.writeString(dir.resolve("node.toml"), """
                    hub_url = "%s"
                    trusted_keys = ["%s"]
                    store_dir = "%s"
                    state_dir = "%s"
                    node_name = "e2e-%s"
                    """.formatted(hubUrl, trustedKey, dir.resolve("state/store"), dir.resolve("state"), handler));
            if (!Files.isRegularFile(TEMPLATE)) {
                throw new IllegalStateException("the runtime launcher template " + TEMPLATE.toAbsolutePath()
                        + " is missing: run the e2e tests from the reactor (mvn -pl e2e -am test)");
            }
            Path launcher = dir.resolve("flox-container-runtime");
            // -De2e.runtime.timings=true: create logs its phase timings (an info line in runc's log)
            String timings = Boolean.getBoolean("e2e.runtime.timings") ? "FLOX_RUNTIME_TIMINGS=1; export FLOX_RUNTIME_TIMINGS\n" : "";
            String built = System.getProperty("e2e.launcher", "");
            String text;
            if (!built.isBlank()) {
                // a launcher from scripts/make-launchers.sh (packaged jars, AOT cache), as installed on nodes: its
                // text, so that each call runs one shell as on a node (a wrapper that execs it would add a second)
                Path real = Path.of(built).toAbsolutePath();
                if (!Files.isExecutable(real)) {
                    throw new IllegalStateException("e2e.launcher=" + built + " is not an executable: run 'make build' first");
                }
                text = Files.readString(real);
            } else {
                String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
                // run by the shell make build picks (scripts/make-launchers.sh)
                String shell = Files.isExecutable(Path.of("/bin/mksh-static")) ? "/bin/mksh-static" : "/bin/sh";
                String template = Files.readString(TEMPLATE);
                text = ("#!" + shell + template.substring(template.indexOf('\n')))
                        .replace("@JAVA@", java)
                        .replace("@JVM_OPTS@", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -XX:-UsePerfData")
                        .replace("@CP@", launcherClassPath())
                        .replace("@AOT@", dir.resolve("none.aot").toString());
            }
            int firstLine = text.indexOf('\n') + 1;
            text = text.substring(0, firstLine)
                    + "FLOX_NODE_CONFIG='" + config + "'; export FLOX_NODE_CONFIG # e2e node " + handler + "\n" + timings
                    + text.substring(firstLine);
            Files.writeString(launcher, text);
            Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
            return new Node(handler, dir, launcher, config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts this node's resident daemon (what {@code flox-node runtime serve} runs: with system
     * property {@code e2e.launcher}, the {@code flox-node} launcher beside it, else this test's class
     * path) with its output appended to {@code log}, and waits until it serves the state directory.
     */
    public Process startDaemon(Path log) throws IOException, InterruptedException {
        return startDaemon(log, org.imageless.runtime.RuntimeDaemon.DEFAULT_WARM_UP);
    }

    /** {@link #startDaemon(Path)} with {@code warmUp} training starts before it serves. */
    public Process startDaemon(Path log, int warmUp) throws IOException, InterruptedException {
        String built = System.getProperty("e2e.launcher", "");
        List<String> command = built.isBlank()
                ? List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", launcherClassPath(),
                        "org.imageless.runtime.ContainerRuntime", "serve", "--warm-up", String.valueOf(warmUp))
                : List.of(Path.of(built).toAbsolutePath().resolveSibling("flox-node").toString(), "runtime", "serve",
                        "--config", config.toString(), "--warm-up", String.valueOf(warmUp));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("FLOX_NODE_CONFIG", config.toString());
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process p = pb.start();
        Path pidFile = state().resolve("runtime.pid");
        for (int i = 0; i < 3000; i++) { // it serves after its warm-up
            if (!p.isAlive()) {
                throw new AssertionError("the runtime daemon of node " + handler + " exited (" + p.exitValue() + "): "
                        + Files.readString(log));
            }
            if (Files.isRegularFile(pidFile) && Files.readString(pidFile).strip().split("\\s+")[0].equals(String.valueOf(p.pid()))) {
                return p;
            }
            Thread.sleep(20);
        }
        p.destroyForcibly();
        throw new AssertionError("the runtime daemon of node " + handler + " did not start within 60 s: " + Files.readString(log));
    }

    /** The node store's directory (what a container sees at /nix/store, for its closure). */
    public Path store() {
        return dir.resolve("state/store");
    }

    public Path state() {
        return dir.resolve("state");
    }

    /**
     * The runtime's class path: this test's, without the e2e test classes (the Java half needs only
     * runtime, environment, nix and their libraries; the rest is never loaded).
     */
    static String launcherClassPath() {
        String cp = System.getProperty("java.class.path");
        StringBuilder out = new StringBuilder();
        for (String entry : cp.split(java.io.File.pathSeparator)) {
            if (entry.endsWith("e2e/target/test-classes") || entry.endsWith("e2e/target/classes")) {
                continue;
            }
            if (!out.isEmpty()) {
                out.append(java.io.File.pathSeparator);
            }
            out.append(entry);
        }
        return out.toString();
    }
}
