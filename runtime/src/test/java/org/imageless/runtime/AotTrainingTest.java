package org.imageless.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** make build trains the launcher's AOT cache with this run; a broken training would only print a warning there. */
class AotTrainingTest {

    @Test
    void theTrainingRunCreatesAndExecsSuccessfully() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                ContainerRuntime.class.getName(), "aot-training").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    @Test
    void theDaemonsWarmUpRunsItsStartsInATemporaryDirectoryAndRemovesIt() throws Exception {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        java.util.function.Supplier<java.util.Set<Path>> leftovers = () -> {
            try (var s = java.nio.file.Files.list(tmp)) {
                return s.filter(d -> d.getFileName().toString().startsWith("flox-runtime-warm-up-")).collect(java.util.stream.Collectors.toSet());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        java.util.Set<Path> before = leftovers.get();

        java.time.Duration took = AotTraining.warmUp(12); // throws if a training start failed

        assertThat(took).isPositive();
        assertThat(leftovers.get()).isEqualTo(before);
    }
}
