package org.imageless.node;

import java.nio.file.Path;
import org.imageless.runtime.config.NodeConfig;
import picocli.CommandLine.Option;

/** {@code --config FILE}: the node configuration (default {@code $FLOX_NODE_CONFIG}, else /etc/flox/node.toml). */
public final class ConfigOption {

    @Option(names = "--config", paramLabel = "FILE",
            description = "The node configuration (default: $FLOX_NODE_CONFIG, else /etc/flox/node.toml).")
    Path file;

    public NodeConfig load() {
        return NodeConfig.load(file != null ? file : NodeConfig.file(System.getenv()));
    }
}
