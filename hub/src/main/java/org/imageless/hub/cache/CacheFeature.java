package org.imageless.hub.cache;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.imageless.hub.Hub;
import org.imageless.hub.account.Role;
import org.imageless.hub.auth.Principal;
import org.imageless.hub.server.Requests;
import org.imageless.hub.server.Routes;
import org.imageless.nix.store.StorePath;
import io.javalin.config.RoutesConfig;

/**
 * The binary cache as a feature of the hub server, at {@code /cache}: storage in the hub's data
 * directory, narinfo signed with the hub's key, and the hub's rules for who may do what.
 *
 * <p>Upload ({@code nix copy --to http://HOST/cache} with the token as netrc password): any user,
 * and service accounts with the writer role; anonymous callers get 401 so that nix sends its
 * credentials. Read: a path is served only when it is in the closure of something the caller may
 * read: the roots come from the hub's features ({@code rootSources}, e.g. the catalog's published
 * outputs); without any, nothing is served.
 */
public final class CacheFeature implements Routes {

    /** Where the hub gives out the public key it signs narinfo with (public: clients pin it on first use). */
    public static final String KEY_PATH = "/api/v1/cache-key";

    private final CacheRoutes<Principal> routes;
    private final CacheAccess<Principal> access;
    private final String publicKey;
    private final List<Function<Principal, ? extends Collection<StorePath>>> rootSources;
    private final List<Supplier<? extends Collection<StorePath>>> allRootSources;

    /** The cache with nothing readable (no root sources). */
    public CacheFeature(Hub hub) {
        this(hub, storage(hub), List.of());
    }

    /**
     * The cache over {@code storage} (one per hub: {@link #storage(Hub)}, shared with features that
     * check what is in it), serving the closures of the roots each of {@code rootSources} says a
     * principal may read. Sources are asked per narinfo/NAR request: they answer from memory.
     */
    public CacheFeature(Hub hub, CacheStorage storage, List<Function<Principal, ? extends Collection<StorePath>>> rootSources) {
        this(hub, storage, rootSources, List.of());
    }

    /**
     * As above; {@code allRootSources} say every root of each source, whoever may read it: their closures
     * are protected ({@link CacheAccess#canReference}), asked per upload.
     */
    public CacheFeature(Hub hub, CacheStorage storage, List<Function<Principal, ? extends Collection<StorePath>>> rootSources,
            List<Supplier<? extends Collection<StorePath>>> allRootSources) {
        this.rootSources = List.copyOf(rootSources);
        this.allRootSources = List.copyOf(allRootSources);
        this.access = CacheAccess.byRoots(storage, this::readableRoots, this::allRoots, CacheFeature::uploadPermission,
                CacheFeature::account);
        this.routes = new CacheRoutes<>(storage, Requests::principalOrAnonymous, access);
        this.publicKey = hub.signingKey().publicKey().toString();
    }

    /**
     * Whether {@code principal} may make something refer to {@code path} (an upload's reference, a
     * pushed lock's or a published package's store path): see {@link CacheAccess#canReference}.
     */
    public boolean canReference(Principal principal, StorePath path) {
        return access.canReference(principal, path);
    }

    /**
     * Whose upload proofs a request's are: its user's or service account's, whichever of their tokens
     * it came with (names are unique across both: a service account's holds a slash).
     */
    private static Object account(Principal principal) {
        return principal instanceof Principal.Anonymous ? principal : principal.name();
    }

    private Collection<StorePath> allRoots() {
        List<StorePath> roots = new ArrayList<>();
        allRootSources.forEach(source -> roots.addAll(source.get()));
        return roots;
    }

    /** The hub's cache storage in its data directory. */
    public static CacheStorage storage(Hub hub) {
        return CacheStorage.open(hub.dataDir(), hub.signingKey());
    }

    static UploadPermission uploadPermission(Principal principal) {
        return switch (principal) {
            case Principal.Anonymous a -> UploadPermission.UNAUTHENTICATED;
            case Principal.User u -> UploadPermission.ALLOWED;
            case Principal.ServiceAccount s -> s.role().atLeast(Role.WRITER)
                    ? UploadPermission.ALLOWED : UploadPermission.FORBIDDEN;
        };
    }

    /** The roots of what {@code principal} may read: the union of the sources' answers. */
    private Collection<StorePath> readableRoots(Principal principal) {
        if (rootSources.size() == 1) {
            return rootSources.getFirst().apply(principal);
        }
        List<StorePath> roots = new ArrayList<>();
        for (Function<Principal, ? extends Collection<StorePath>> source : rootSources) {
            roots.addAll(source.apply(principal));
        }
        return roots;
    }

    @Override
    public void register(RoutesConfig config) {
        routes.register(config);
        config.get(KEY_PATH, ctx -> ctx.json(java.util.Map.of("public_key", publicKey)));
    }
}
