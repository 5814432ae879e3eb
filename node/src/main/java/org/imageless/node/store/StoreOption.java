package org.imageless.node.store;

import java.nio.file.Path;
import org.imageless.nix.nodestore.NodeStore;
import picocli.CommandLine.Option;

/** The {@code --store DIR} option shared by the store commands. */
final class StoreOption {

    static final String DEFAULT_STORE = "/var/lib/flox/store";

    @Option(names = "--store", paramLabel = "DIR", defaultValue = DEFAULT_STORE,
            description = "The node store directory (default: ${DEFAULT-VALUE}).")
    Path dir;

    NodeStore open() {
        return NodeStore.open(dir);
    }
}
