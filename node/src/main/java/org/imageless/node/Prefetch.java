package org.imageless.node;

import java.nio.file.Files;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.imageless.environment.EnvironmentRef;
import org.imageless.runtime.Create;
import org.imageless.runtime.RuntimeLog;
import org.imageless.runtime.config.NodeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flox-node prefetch OWNER/NAME[:GEN]}: what a pod start would fetch and build, ahead of time. */
@Command(name = "prefetch", mixinStandardHelpOptions = true,
        description = {"Resolve an environment with the hub, realise its closure into the node store and build its view, "
                + "as a pod start would, so that pods of it start without downloading.",
                "Prefetched paths are not gc roots: 'flox-node store gc' removes them unless a container uses them."})
final class Prefetch implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Parameters(index = "0", paramLabel = "OWNER/NAME[:GEN]", description = "The environment (live generation unless pinned).")
    String environment;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "A hub token for a private environment (default: token_file of the node configuration).")
    java.nio.file.Path tokenFile;

    @Override
    public Integer call() throws Exception {
        NodeConfig c = config.load();
        EnvironmentRef ref = EnvironmentRef.parse(environment);
        Optional<String> token = Optional.empty();
        java.nio.file.Path file = tokenFile != null ? tokenFile : c.tokenFile().orElse(null);
        if (file != null) {
            String t = Files.readString(file).strip();
            token = t.isEmpty() ? Optional.empty() : Optional.of(t);
        }
        ProgressBar progress = ProgressBar.onTerminal();
        Create.Prepared p;
        try {
            p = new Create(c, new RuntimeLog(null) {
                @Override
                public void warning(String message) {
                    System.err.println("flox-node: warning: " + message);
                }
            }).prepare(ref, token, null, progress);
        } finally {
            progress.close();
        }
        System.out.println(p.view());
        System.err.printf("flox-node: %s: %d paths in the closure, %d fetched; view %s%n", p.resolved().shown(),
                p.closure().size(), p.fetched().size(), p.view());
        return 0;
    }
}
