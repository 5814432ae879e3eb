package org.imageless.node;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.imageless.runtime.RuntimeDaemon;
import org.imageless.runtime.config.NodeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flox-node runtime serve}: the resident mode of flox-container-runtime. */
@Command(name = "runtime", mixinStandardHelpOptions = true, description = "The node's OCI runtime (flox-container-runtime).",
        subcommands = RuntimeCommand.Serve.class)
final class RuntimeCommand {

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = {"Prepare containers for flox-container-runtime in this long-running process, so that its "
                    + "create and exec start no JVM of their own (resident mode).",
                    "Serves state_dir/runtime.fifo (pid in state_dir/runtime.pid) until SIGTERM; launchers start their "
                    + "own JVM again as soon as it stops. Logs to stderr (the journal under systemd)."})
    static final class Serve implements Callable<Integer> {

        @Option(names = "--config", paramLabel = "FILE",
                description = "The node configuration whose state_dir is served (default: $FLOX_NODE_CONFIG, else /etc/flox/node.toml). "
                        + "Each request names the configuration of its launcher.")
        Path file;

        @Option(names = "--debug", description = "Log every request's outcome and duration.")
        boolean debug;

        @Option(names = "--warm-up", paramLabel = "N", defaultValue = "" + RuntimeDaemon.DEFAULT_WARM_UP,
                description = "Training container starts run before serving, so that the first real ones are as fast as "
                        + "later ones (default: ${DEFAULT-VALUE}; 0: none). Until it serves, launchers start JVMs of their own.")
        int warmUp;

        @Override
        public Integer call() {
            if (warmUp < 0) {
                System.err.println("flox-node: --warm-up must be 0 or more, not " + warmUp);
                return 2;
            }
            return RuntimeDaemon.serve(file != null ? file : NodeConfig.file(System.getenv()), System.err, debug, warmUp);
        }
    }
}
