package org.imageless.hub.server;

import java.net.URI;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.imageless.hub.Hub;
import org.imageless.hub.HubException;
import org.imageless.hub.HubOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code floxhub serve}: runs the hub until SIGTERM/SIGINT, then stops gracefully. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the hub's HTTP server.")
public final class ServeCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @Mixin
    HubOptions options;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8484",
            description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String listen;

    @Override
    public Integer call() throws InterruptedException {
        Listen at = Listen.parse(listen);
        Hub hub = Hub.open(options.config(URI.create("http://" + listen)));
        // a hub killed while it moved a branch left git's lock file: the branch would refuse every push
        for (java.nio.file.Path lock : hub.environments().store().removeStaleLocks()) {
            LOG.warn("removed {}, left by a hub that stopped while it updated that branch", lock);
        }
        HubServer server;
        try {
            server = HubServer.start(hub, at.host(), at.port(), List.of());
        } catch (RuntimeException e) {
            hub.close();
            throw e;
        }
        LOG.info("floxhub serving {} on http://{}:{} (data {}, database {}, cache key {})", hub.publicUrl(), at.host(),
                server.port(), hub.dataDir(), hub.database().vendor(), hub.signingKey().publicKey());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            LOG.info("floxhub stopping");
            server.stop();
            hub.close();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }

    record Listen(String host, int port) {
        static Listen parse(String text) {
            int colon = text.lastIndexOf(':');
            try {
                if (colon > 0) {
                    int port = Integer.parseInt(text.substring(colon + 1));
                    if (port >= 0 && port <= 65535) {
                        return new Listen(text.substring(0, colon).replaceAll("^\\[|\\]$", ""), port);
                    }
                }
            } catch (NumberFormatException e) {
                // fall through
            }
            throw HubException.invalid("listen address '%s' is not HOST:PORT (e.g. 127.0.0.1:8484, 0.0.0.0:80)", text);
        }
    }
}
