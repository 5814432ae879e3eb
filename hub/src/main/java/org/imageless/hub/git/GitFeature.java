package org.imageless.hub.git;

import io.javalin.config.RoutesConfig;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import java.util.function.BiPredicate;
import org.imageless.hub.Hub;
import org.imageless.hub.auth.Principal;
import org.imageless.hub.server.Routes;
import org.imageless.nix.store.StorePath;

/**
 * Git smart-HTTP at {@code /git/<owner>/floxmeta}: JGit's {@code GitServlet} mounted on the
 * server's servlet context (beside Javalin, which serves everything else), behind
 * {@link GitAccessServlet}, which authenticates and authorizes before JGit sees the request.
 */
public final class GitFeature implements Routes {

    /** The servlet path; repositories are {@code /git/<owner>/floxmeta}. */
    public static final String PATH = "/git/*";

    private final Hub hub;
    private final BiPredicate<Principal, StorePath> mayReference;

    /** Git without the binary cache's reference rule (every store path may appear in a lock). */
    public GitFeature(Hub hub) {
        this(hub, (p, path) -> true);
    }

    /**
     * Git whose pushes are refused when a new generation's lock names a store path the pusher may not
     * reference ({@code CacheFeature.canReference}: it belongs to something the pusher may not read).
     */
    public GitFeature(Hub hub, BiPredicate<Principal, StorePath> mayReference) {
        this.hub = hub;
        this.mayReference = mayReference;
    }

    @Override
    public void register(RoutesConfig routes) {
        // nothing for Javalin: git is a servlet of its own (see mount)
    }

    @Override
    public void mount(ServletContextHandler context) {
        ServletHolder holder = new ServletHolder("floxmeta-git", new GitAccessServlet(hub, mayReference));
        context.addServlet(holder, PATH);
    }
}
