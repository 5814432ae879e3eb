package org.imageless.runtime.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The flox-container-runtime launcher, generated from its template as make-launchers does, and run. */
public final class Launcher {

    public static final Path TEMPLATE = Path.of("src/main/sh/flox-container-runtime");

    private final Path script;
    private final Map<String, String> env;

    private Launcher(Path script, Map<String, String> env) {
        this.script = script;
        this.env = env;
    }

    /**
     * The shell {@code make build} runs the launcher with (scripts/make-launchers.sh): mksh-static when it is
     * installed (scripts/install-deps.sh installs it), else {@code /bin/sh}.
     */
    public static final String SHELL = Files.isExecutable(Path.of("/bin/mksh-static")) ? "/bin/mksh-static" : "/bin/sh";

    /** {@code text}, a launcher script, run by {@code shell} (its first line). */
    public static String withShell(String text, String shell) {
        return "#!" + shell + text.substring(text.indexOf('\n'));
    }

    /** A launcher that runs the Java half from this test's class path with {@code java}, run by {@link #SHELL}. */
    public static Launcher write(Path dir, String java, Path nodeConfig) throws IOException {
        return write(dir, java, nodeConfig, SHELL);
    }

    /** {@link #write(Path, String, Path)} run by {@code shell}. */
    public static Launcher write(Path dir, String java, Path nodeConfig, String shell) throws IOException {
        String text = withShell(Files.readString(TEMPLATE), shell)
                .replace("@JAVA@", java)
                .replace("@JVM_OPTS@", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto")
                .replace("@CP@", System.getProperty("java.class.path"))
                .replace("@AOT@", dir.resolve("none.aot").toString());
        Files.createDirectories(dir);
        Path script = dir.resolve("flox-container-runtime");
        Files.writeString(script, text);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return new Launcher(script, Map.of("FLOX_NODE_CONFIG", nodeConfig.toString()));
    }

    /** An existing launcher script (e.g. {@code bin/flox-container-runtime} of {@code make build}) for node.toml {@code nodeConfig}. */
    public static Launcher of(Path script, Path nodeConfig) {
        return new Launcher(script, Map.of("FLOX_NODE_CONFIG", nodeConfig.toString()));
    }

    public Path script() {
        return script;
    }

    /** The same launcher with {@code name=value} added to its environment. */
    public Launcher with(String name, String value) {
        Map<String, String> more = new java.util.HashMap<>(env);
        more.put(name, value);
        return new Launcher(script, Map.copyOf(more));
    }

    public static String realJava() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** A finished launcher call; {@code out}/{@code err} keep receiving what a container started by it writes. */
    public record Run(int exitCode, String stdout, String stderr, long millis, Path out, Path err) {
        public String outNow() throws IOException {
            return Files.readString(out, StandardCharsets.UTF_8);
        }

        public String errNow() throws IOException {
            return Files.readString(err, StandardCharsets.UTF_8);
        }
    }

    /** Runs the launcher with {@code args}; the container's output (stdout, stderr) goes to files. */
    public Run run(Path outDir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(script.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        Files.createDirectories(outDir);
        Path out = Files.createTempFile(outDir, "out", ".txt");
        Path err = Files.createTempFile(outDir, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        long start = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("flox-container-runtime " + List.of(args) + " did not finish in 60 s");
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8), millis, out, err);
    }
}
