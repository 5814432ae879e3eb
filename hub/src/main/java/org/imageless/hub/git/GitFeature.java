package org.imageless.hub.git;

import io.javalin.config.RoutesConfig;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.imageless.hub.Hub;
import org.imageless.hub.server.Routes;

/**
 * Git smart-HTTP at {@code /git/<owner>/floxmeta}: JGit's {@code GitServlet} mounted on the
 * server's servlet context (beside Javalin, which serves everything else), behind
 * {@link GitAccessServlet}, which authenticates and authorizes before JGit sees the request.
 */
public final class GitFeature implements Routes {

    /** The servlet path; repositories are {@code /git/<owner>/floxmeta}. */
    public static final String PATH = "/git/*";

    private final Hub hub;

    public GitFeature(Hub hub) {
        this.hub = hub;
    }

    @Override
    public void register(RoutesConfig routes) {
        // nothing for Javalin: git is a servlet of its own (see mount)
    }

    @Override
    public void mount(ServletContextHandler context) {
        ServletHolder holder = new ServletHolder("floxmeta-git", new GitAccessServlet(hub));
        context.addServlet(holder, PATH);
    }
}
