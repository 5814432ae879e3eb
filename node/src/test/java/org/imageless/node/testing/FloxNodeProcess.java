package org.imageless.node.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.imageless.node.FloxNode;

/** {@code flox-node} as a process of its own (this test JVM's java and class path), as a user runs it. */
public final class FloxNodeProcess {

    private FloxNodeProcess() {}

    /** What a run printed and exited with. */
    public record Run(int exit, byte[] stdout, String stderr) {
        public String stdoutText() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    /**
     * Runs {@code flox-node args} with stdin from {@code stdin} (null: /dev/null), its stderr kept in a
     * file under {@code dir}; fails the test if it does not finish within 2 minutes.
     */
    public static Run run(Path dir, Path stdin, List<String> args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), FloxNode.class.getName()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(stdin != null ? stdin.toFile() : new File("/dev/null")));
        Path err = dir.resolve("stderr-" + System.nanoTime());
        pb.redirectError(err.toFile());
        try {
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("flox-node %s finished", String.join(" ", args)).isTrue();
            return new Run(p.exitValue(), out, Files.readString(err));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
