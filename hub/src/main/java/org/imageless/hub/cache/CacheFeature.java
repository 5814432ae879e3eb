package org.imageless.hub.cache;

import java.util.Collection;
import java.util.List;
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
 * read (an environment's generation or a catalog package). Until environments and the catalog are
 * on the hub, no caller may read any root, so nothing is served.
 */
public final class CacheFeature implements Routes {

    private final CacheRoutes<Principal> routes;

    public CacheFeature(Hub hub) {
        CacheStorage storage = CacheStorage.open(hub.dataDir(), hub.signingKey());
        CacheAccess<Principal> access = CacheAccess.byRoots(storage, CacheFeature::readableRoots,
                CacheFeature::uploadPermission);
        this.routes = new CacheRoutes<>(storage, Requests::principalOrAnonymous, access);
    }

    static UploadPermission uploadPermission(Principal principal) {
        return switch (principal) {
            case Principal.Anonymous a -> UploadPermission.UNAUTHENTICATED;
            case Principal.User u -> UploadPermission.ALLOWED;
            case Principal.ServiceAccount s -> s.role().atLeast(Role.WRITER)
                    ? UploadPermission.ALLOWED : UploadPermission.FORBIDDEN;
        };
    }

    /** The roots of what {@code principal} may read: the environments and catalog will supply them. */
    private static Collection<StorePath> readableRoots(Principal principal) {
        return List.of();
    }

    @Override
    public void register(RoutesConfig config) {
        routes.register(config);
    }
}
