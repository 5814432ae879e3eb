package org.imageless.node.store;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.imageless.nix.nodestore.NodeStore;
import org.imageless.nix.nodestore.PathInfo;
import org.imageless.nix.store.StorePath;
import org.imageless.node.ConfigOption;
import org.imageless.runtime.GcRoots;
import org.imageless.runtime.config.NodeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "gc", mixinStandardHelpOptions = true,
        description = {"Remove node store paths that no container uses: everything not in the closure of a gc root "
                + "(state_dir/roots/<container>, written at create, removed at delete; and prefetches kept with "
                + "'flox-node prefetch --keep'). Prints what it frees.",
                "Runs under the gc lock, so a container being created meanwhile keeps what it is about to use."})
public final class StoreGc implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Option(names = {"-n", "--dry-run"}, description = "Only print what would be removed.")
    boolean dryRun;

    @Override
    public Integer call() {
        NodeConfig c = config.load();
        NodeStore store = NodeStore.open(c.storeDir(), c.tmpDir());
        GcRoots roots = new GcRoots(c.stateDir());
        long bytes = 0;
        int count = 0;
        try (GcRoots.Held held = roots.exclusive()) {
            Set<StorePath> live = live(store, roots.all());
            for (StorePath p : store.list()) {
                if (live.contains(p)) {
                    continue;
                }
                long size = store.query(p).map(PathInfo::narSize).orElse(0L);
                if (dryRun || store.delete(p)) {
                    System.out.println((dryRun ? "would remove " : "removed ") + p);
                    bytes += size;
                    count++;
                }
            }
            long prefetches = countRoots(c, true);
            System.err.printf("flox-node: %s %d store paths, %.1f MiB; %d kept (used by %d running containers%s)%n",
                    dryRun ? "would remove" : "removed", count, bytes / 1048576.0, live.size(), countRoots(c, false),
                    prefetches > 0 ? " and " + prefetches + " kept prefetches" : "");
        }
        return 0;
    }

    /** The closure of the roots in this store; roots not (yet) valid are skipped. */
    static Set<StorePath> live(NodeStore store, Set<StorePath> roots) {
        Set<StorePath> live = new TreeSet<>();
        Deque<StorePath> todo = new ArrayDeque<>(roots);
        while (!todo.isEmpty()) {
            StorePath p = todo.pop();
            if (!live.add(p)) {
                continue;
            }
            Optional<PathInfo> info = store.query(p);
            info.ifPresent(i -> todo.addAll(i.referencesWithoutSelf()));
        }
        return live;
    }

    /** The roots of containers, or with {@code prefetches} those of kept prefetches. */
    private static long countRoots(NodeConfig c, boolean prefetches) {
        try (var files = java.nio.file.Files.list(c.rootsDir())) {
            return files.map(f -> f.getFileName().toString())
                    .filter(n -> !n.startsWith(".") && n.startsWith(GcRoots.PREFETCH) == prefetches).count();
        } catch (java.io.IOException e) {
            return 0;
        }
    }
}
