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

    @Test
    void everyTrainingExecGetsAFreshProcessAsContainerdWritesOne() throws Exception {
        Path dir = java.nio.file.Files.createTempDirectory("flox-runtime-test-");
        try (var hub = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            AotTraining.setup(dir, hub.getLocalPort());
            var env = java.util.Map.of(org.imageless.runtime.config.NodeConfig.ENV, dir.resolve("node.toml").toString());
            java.util.List<String> before = new java.util.ArrayList<>();
            java.util.List<String> after = new java.util.ArrayList<>();
            AotTraining.starts(dir, hub, 3, args -> {
                Path process = args[0].equals("exec") ? Path.of(args[3]) : null;
                if (process != null) {
                    before.add(java.nio.file.Files.readString(process));
                }
                int status = ContainerRuntime.run(args, env);
                if (process != null) {
                    after.add(java.nio.file.Files.readString(process));
                }
                return status;
            });

            // exec edits the file in place: the next exec must not get the edited one (it would grow every round)
            assertThat(before).hasSize(3).containsOnly(before.getFirst());
            assertThat(after).hasSize(3).allSatisfy(a -> assertThat(a).isNotEqualTo(before.getFirst()));
        } finally {
            org.imageless.nix.nar.NarUnpacker.deleteTree(dir);
        }
    }
}
