package org.imageless.hub.environment;

import java.time.Duration;
import org.imageless.hub.db.ReplicaSnapshot;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jgit.lib.ObjectId;
import org.imageless.environment.generation.Generation;
import org.imageless.environment.generation.GenerationsMetadata;
import org.imageless.environment.lock.LockedPackage;
import org.imageless.environment.lock.Lockfile;
import org.imageless.hub.auth.Access;
import org.imageless.hub.auth.Principal;
import org.imageless.hub.auth.Visibility;
import org.imageless.hub.cache.VisibleRoots;
import org.imageless.nix.store.StorePath;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The binary cache's readable roots that environments contribute: the store paths of every
 * generation's lock (every package, every system, every output) of the environments a principal may
 * read. Answered from a snapshot in memory (the cache asks per narinfo/NAR request, {@link ReplicaSnapshot}),
 * reloaded at once when this process changed an environment ({@link Environments#changeCount()}) and in
 * the background when older than {@value #SNAPSHOT_SECONDS} seconds (changes made by other replicas). The paths of a branch are
 * parsed once per branch tip.
 */
public final class EnvironmentRoots {

    static final int SNAPSHOT_SECONDS = 5;
    private static final Logger LOG = LoggerFactory.getLogger(EnvironmentRoots.class);

    private final Environments environments;
    private final Access access;
    private final Map<String, Paths> byBranch = new ConcurrentHashMap<>();
    private final ReplicaSnapshot<VisibleRoots> snapshot;

    public EnvironmentRoots(Environments environments, Access access) {
        this.environments = environments;
        this.access = access;
        this.snapshot = new ReplicaSnapshot<>(Duration.ofSeconds(SNAPSHOT_SECONDS), environments::changeCount, v -> load());
    }

    private record Paths(ObjectId tip, Set<StorePath> paths) {}

    /** The lock store paths of every environment {@code principal} may read. */
    public Collection<StorePath> readableRoots(Principal principal) {
        return snapshot.get().readableBy(principal, access);
    }

    /** The lock store paths of every environment, whoever may read them. */
    public Collection<StorePath> allRoots() {
        return snapshot.get().all();
    }

    private VisibleRoots load() {
        Set<StorePath> publicRoots = new HashSet<>();
        Map<String, Set<StorePath>> privateByOwner = new HashMap<>();
        Set<String> seen = new HashSet<>();
        for (Environment env : environments.listAll()) {
            String key = env.owner() + "/" + env.name();
            seen.add(key);
            Set<StorePath> paths = paths(env.owner(), env.name(), key);
            if (env.visibility() == Visibility.PUBLIC) {
                publicRoots.addAll(paths);
            } else {
                privateByOwner.computeIfAbsent(env.owner(), k -> new HashSet<>()).addAll(paths);
            }
        }
        byBranch.keySet().retainAll(seen);
        return VisibleRoots.of(publicRoots, privateByOwner);
    }

    private Set<StorePath> paths(String owner, String name, String key) {
        Optional<ObjectId> tip = environments.store().tip(owner, name);
        if (tip.isEmpty()) {
            return Set.of();
        }
        Paths cached = byBranch.get(key);
        if (cached != null && cached.tip().equals(tip.get())) {
            return cached.paths();
        }
        Set<StorePath> paths = new HashSet<>();
        environments.store().head(owner, name).ifPresent(head -> {
            GenerationsMetadata metadata;
            try {
                metadata = head.metadata();
            } catch (RuntimeException e) {
                LOG.warn("{}: metadata.json does not parse, its store paths are not served: {}", key, e.getMessage());
                return;
            }
            for (int n : metadata.generations()) {
                head.text(Generation.lockPath(n)).ifPresent(text -> {
                    try {
                        paths.addAll(storePaths(Lockfile.parse(text, Generation.lockPath(n))));
                    } catch (RuntimeException e) {
                        LOG.warn("{}: {} does not parse, its store paths are not served: {}", key, Generation.lockPath(n),
                                e.getMessage());
                    }
                });
            }
        });
        Set<StorePath> frozen = Set.copyOf(paths);
        byBranch.put(key, new Paths(tip.get(), frozen));
        return frozen;
    }

    /** Every output store path of every package of {@code lock}, for every system. */
    public static Set<StorePath> storePaths(Lockfile lock) {
        Set<StorePath> paths = new HashSet<>();
        for (LockedPackage p : lock.packages()) {
            switch (p) {
                case LockedPackage.Catalog c -> paths.addAll(c.outputs().values());
                case LockedPackage.Flake f -> paths.addAll(f.outputs().values());
                case LockedPackage.StorePathPackage s -> paths.add(s.storePath());
            }
        }
        return paths;
    }
}
