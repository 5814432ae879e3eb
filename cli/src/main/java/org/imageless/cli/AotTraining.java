package org.imageless.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.imageless.cli.activate.Activation;
import org.imageless.environment.activation.ActivationMode;
import org.imageless.environment.activation.ActivationPlan;
import org.imageless.nix.nodestore.NodeStore;

/**
 * The workload {@code make build} runs once with {@code -XX:AOTCacheOutput} so that the JDK's AOT
 * cache holds the classes of the commands people run most ({@code init}, {@code list},
 * {@code activate}'s local path): every {@code flox} call then starts faster. Not a subcommand:
 * the launcher script calls {@code main} with the single argument {@code aot-training}.
 */
final class AotTraining {

    private AotTraining() {
    }

    static int run() throws Exception {
        Path work = Files.createTempDirectory("flox-aot-");
        try {
            Map<String, String> env = new HashMap<>(System.getenv());
            env.put("HOME", work.toString());
            env.put("FLOX_CONFIG_DIR", work.resolve("config").toString());
            env.put("FLOX_FLOXHUB_URL", "http://127.0.0.1:9");
            env.put("FLOX_STORE_DIR", work.resolve("store").toString());
            PrintStream sink = new PrintStream(new ByteArrayOutputStream());
            for (int i = 0; i < 5; i++) {
                Path dir = work.resolve("project-" + i);
                Flox.execute(env, work, sink, sink, "init", "-d", dir.toString());
                Flox.execute(env, dir, sink, sink, "list");
                Flox.execute(env, dir, sink, sink, "list", "-c");
                Flox.execute(env, dir, sink, sink, "activate", "--", "true");
                Flox.execute(env, dir, sink, sink, "auth", "token");
                Flox.execute(env, dir, sink, sink, "--help");
            }
            NodeStore store = NodeStore.open(work.resolve("store"));
            Activation.sandboxed(store, work, List.of("true"));
            ActivationPlan.compute(new ActivationPlan.Request(ActivationMode.DEV, "/nix/store/x", "a/b", Map.of("A", "1"),
                    null, null, null, System.getenv()));
            return 0;
        } finally {
            try (var walk = Files.walk(work)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
