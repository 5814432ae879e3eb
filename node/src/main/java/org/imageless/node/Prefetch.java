package org.imageless.node;

import java.nio.file.Files;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.imageless.environment.EnvironmentRef;
import org.imageless.nix.cache.ProgressBar;
import org.imageless.runtime.Create;
import org.imageless.runtime.GcRoots;
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
                "Without --keep, prefetched paths are not gc roots: 'flox-node store gc' removes them unless a container uses "
                        + "them. With --keep they stay until the next --keep prefetch of the same environment replaces them, "
                        + "or --forget."})
final class Prefetch implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Parameters(index = "0", paramLabel = "OWNER/NAME[:GEN]", description = "The environment (live generation unless pinned).")
    String environment;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "A hub token for a private environment (default: token_file of the node configuration).")
    java.nio.file.Path tokenFile;

    @Option(names = "--keep", description = "Keep what is prefetched from 'flox-node store gc' (a gc root named after the "
            + "environment, replaced by the next --keep prefetch of it).")
    boolean keep;

    @Option(names = "--forget", description = "Fetch nothing; remove the gc root an earlier --keep prefetch of the environment made.")
    boolean forget;

    @Override
    public Integer call() throws Exception {
        NodeConfig c = config.load();
        EnvironmentRef ref = EnvironmentRef.parse(environment);
        String root = GcRoots.prefetchRoot(ref);
        if (forget) {
            boolean removed = new GcRoots(c.stateDir()).remove(root);
            System.err.println("flox-node: " + (removed ? "forgot the kept prefetch of " + ref.description()
                    + "; 'flox-node store gc' may now remove what no container uses"
                    : "no kept prefetch of " + ref.description() + " (nothing to forget)"));
            return 0;
        }
        Optional<String> token = Optional.empty();
        java.nio.file.Path file = tokenFile != null ? tokenFile : c.tokenFile().orElse(null);
        if (file != null) {
            String t = Files.readString(file).strip();
            token = t.isEmpty() ? Optional.empty() : Optional.of(t);
        }
        ProgressBar progress = ProgressBar.onTerminal("flox-node");
        Create.Prepared p;
        try {
            p = new Create(c, new RuntimeLog(null) {
                @Override
                public void warning(String message) {
                    System.err.println("flox-node: warning: " + message);
                }
            }).prepare(ref, token, keep ? root : null, progress);
        } finally {
            progress.close();
        }
        System.out.println(p.view());
        System.err.printf("flox-node: %s: %d paths in the closure, %d fetched; view %s%s%n", p.resolved().shown(),
                p.closure().size(), p.fetched().size(), p.view(), keep ? "; kept from gc (until --forget)" : "");
        return 0;
    }
}
