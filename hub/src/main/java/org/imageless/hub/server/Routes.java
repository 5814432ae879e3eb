package org.imageless.hub.server;

import io.javalin.config.RoutesConfig;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;

/**
 * A feature's HTTP endpoints. Each feature (accounts, environments, git, cache, UI) is one class
 * that takes what it needs from the {@code Hub} in its constructor and registers its routes here;
 * {@link HubServer} registers them all. Handlers get the caller with {@link Requests} and throw
 * {@code HubException}/{@code NixException}; {@link ErrorMapping} turns those into responses.
 */
@FunctionalInterface
public interface Routes {

    void register(RoutesConfig routes);

    /**
     * Mounts servlets that are not Javalin handlers (git's smart-HTTP) on the server's context.
     * They answer their paths before Javalin does, so they do their own authentication, logging
     * and error bodies.
     */
    default void mount(ServletContextHandler context) {}
}
