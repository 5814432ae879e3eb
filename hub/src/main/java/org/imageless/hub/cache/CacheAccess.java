package org.imageless.hub.cache;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.imageless.nix.store.StorePath;

/**
 * The access policy of the binary cache, supplied by the server.
 *
 * <p>Rule: a store path is served to a caller only when it is in the closure of something the caller
 * may read (a visible environment's or a catalog package's outputs); otherwise the narinfo and the
 * NAR are answered 404, exactly as if absent, so that private paths cannot be probed. The closure is
 * the cache's own: the references of its accepted narinfo records ({@link CacheStorage#closureOf}).
 * {@code nix-cache-info} is public.
 *
 * <p>Protected paths: a path in the closure of some root is protected; only those who may read it, or who
 * proved that they hold it ({@link #proved}: they uploaded its NAR's bytes), may upload a path that
 * references it ({@link #canReference}), otherwise a writer who knows the store path of someone else's
 * private path could upload a path referencing it and, by making that path a readable root, expose the
 * private one. Paths in no root's closure (uploaded, not yet pushed or published) are nobody's secret
 * yet and may be referenced by any uploader. The server applies the same rule to the roots it creates
 * (a pushed generation's lock, a published package): see {@link #canReference}.
 *
 * <p>Most servers implement this with {@link #byRoots}: they say which roots a principal may read and
 * whether it may upload; the closure membership test is done here, with per-root closures cached.
 *
 * @param <P> the server's principal type (see {@link PrincipalResolver})
 */
public interface CacheAccess<P> {

    /** Whether {@code principal} may read {@code path} (called per narinfo and NAR request: keep it cheap). */
    boolean canRead(P principal, StorePath path);

    /** Whether {@code principal} may upload NARs and narinfo records. */
    UploadPermission canUpload(P principal);

    /**
     * Whether {@code principal} may make something refer to {@code path} (upload a path referencing it,
     * push or publish it as a root): it may read it, or it is protected by no root at all.
     */
    default boolean canReference(P principal, StorePath path) {
        return true;
    }

    /**
     * Records that {@code principal} uploaded the bytes of {@code path}'s NAR (as {@code nix copy --to} does
     * for a path it may not read, which is then already in the cache): it holds the path, and may reference
     * it from then on. Only the most recent proofs are kept, in memory.
     */
    default void proved(P principal, StorePath path) {
    }

    /**
     * Whom {@code principal}'s proofs ({@link #proved}) and NAR uploads count for: by default the
     * principal itself; a server whose principals carry the token they came with says the account,
     * so that every token of one user or service account shares them.
     */
    default Object holder(P principal) {
        return principal;
    }

    /**
     * The policy "readable iff in the closure of one of {@code readableRoots(principal)}", with the
     * closure of each root computed once and kept: a visible path's closure never changes, because a
     * narinfo is accepted only when its references are present. {@code readableRoots} is called per
     * request, so the server should answer it from memory (e.g. the live generations' outputs of the
     * environments the principal may see, plus published catalog outputs).
     */
    static <P> CacheAccess<P> byRoots(CacheStorage storage, Function<P, ? extends Collection<StorePath>> readableRoots,
            Function<P, UploadPermission> upload) {
        return new ClosureAccess<>(storage, readableRoots, List::of, upload, p -> p);
    }

    /**
     * {@link #byRoots(CacheStorage, Function, Function)} that also protects the closures of {@code allRoots}
     * (every root anyone may read; asked per upload, not per read) for {@link #canReference}.
     */
    static <P> CacheAccess<P> byRoots(CacheStorage storage, Function<P, ? extends Collection<StorePath>> readableRoots,
            Supplier<? extends Collection<StorePath>> allRoots, Function<P, UploadPermission> upload) {
        return new ClosureAccess<>(storage, readableRoots, allRoots, upload, p -> p);
    }

    /** As above, with proofs and uploads counted for {@code holder} of the principal (see {@link #holder}). */
    static <P> CacheAccess<P> byRoots(CacheStorage storage, Function<P, ? extends Collection<StorePath>> readableRoots,
            Supplier<? extends Collection<StorePath>> allRoots, Function<P, UploadPermission> upload, Function<P, ?> holder) {
        return new ClosureAccess<>(storage, readableRoots, allRoots, upload, holder);
    }

    /** {@link #byRoots} as a class, so its closure cache can be seen by tests. */
    final class ClosureAccess<P> implements CacheAccess<P> {
        /** Beyond this many cached (root → closure) entries the cache starts over; closures are cheap to recompute. */
        private static final int MAX_CACHED_ROOTS = 100_000;
        /** (holder, path) proofs of {@link #proved} kept, the most recent. */
        private static final int MAX_PROOFS = 100_000;

        private final CacheStorage storage;
        private final Function<P, ? extends Collection<StorePath>> readableRoots;
        private final Supplier<? extends Collection<StorePath>> allRoots;
        private final Function<P, UploadPermission> upload;
        private final Function<P, ?> holder;
        private final org.imageless.nix.BoundedMemo<StorePath, Set<StorePath>> closures = new org.imageless.nix.BoundedMemo<>(MAX_CACHED_ROOTS);
        private final RecentSet<List<Object>> proofs = new RecentSet<>(MAX_PROOFS);

        ClosureAccess(CacheStorage storage, Function<P, ? extends Collection<StorePath>> readableRoots,
                Supplier<? extends Collection<StorePath>> allRoots, Function<P, UploadPermission> upload, Function<P, ?> holder) {
            this.storage = storage;
            this.readableRoots = readableRoots;
            this.allRoots = allRoots;
            this.upload = upload;
            this.holder = holder;
        }

        @Override
        public boolean canReference(P principal, StorePath path) {
            if (proofs.contains(List.of(holder(principal), path)) || canRead(principal, path)) {
                return true;
            }
            for (StorePath root : allRoots.get()) {
                if (root.equals(path) || closure(root).contains(path)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void proved(P principal, StorePath path) {
            proofs.add(List.of(holder(principal), path));
        }

        @Override
        public Object holder(P principal) {
            return holder.apply(principal);
        }

        @Override
        public boolean canRead(P principal, StorePath path) {
            for (StorePath root : readableRoots.apply(principal)) {
                if (root.equals(path) || closure(root).contains(path)) {
                    return true;
                }
            }
            return false;
        }

        private Set<StorePath> closure(StorePath root) {
            Set<StorePath> cached = closures.get(root);
            if (cached != null) {
                return cached;
            }
            if (!storage.contains(root)) {
                return Set.of(); // not uploaded yet: not cached, it may arrive later
            }
            return closures.put(root, Set.copyOf(storage.closureOf(Set.of(root))));
        }

        @Override
        public UploadPermission canUpload(P principal) {
            return upload.apply(principal);
        }
    }
}
