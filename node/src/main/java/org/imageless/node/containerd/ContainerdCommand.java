package org.imageless.node.containerd;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flox-node containerd config}: a private containerd's configuration, see {@link ContainerdConfig}. */
@Command(name = "containerd", mixinStandardHelpOptions = true, description = "A private containerd for trying the runtime without a cluster.",
        subcommands = ContainerdCommand.Config.class)
public final class ContainerdCommand {

    @Command(name = "config", mixinStandardHelpOptions = true,
            description = {"Write DIR/config.toml and DIR/cni/net.d/10-BRIDGE.conflist for a private containerd 1.6 "
                    + "(root, state and socket DIR/containerd.sock under DIR) with the CRI plugin, overlayfs, the "
                    + "default handler runc and the given flox handlers. Start it with: containerd --config DIR/config.toml"})
    static final class Config implements Callable<Integer> {

        @Parameters(paramLabel = "DIR", description = "containerd's directory (short: the socket path must stay under 100 bytes)")
        Path dir;

        @Option(names = "--sandbox-image", required = true, paramLabel = "IMAGE",
                description = "The pod sandbox (pause) image; it must be imported, there is no registry to pull it from.")
        String sandboxImage;

        @Option(names = "--runtime", paramLabel = "NAME=BINARY",
                description = "A flox runtime handler: its name (the RuntimeClass's handler) and flox-container-runtime's path.")
        Map<String, Path> runtimes = new LinkedHashMap<>();

        @Option(names = "--bridge", defaultValue = "flox0", description = "The CNI bridge of the pods (default: ${DEFAULT-VALUE}).")
        String bridge;

        @Option(names = "--subnet", defaultValue = "10.199.77.0/24", description = "The pods' addresses (default: ${DEFAULT-VALUE}).")
        String subnet;

        @Option(names = "--cni-bin", paramLabel = "DIR", description = "Where the CNI plugins are (default: Debian's /usr/lib/cni).")
        Path cniBin = ContainerdConfig.DEBIAN_CNI_BIN;

        @Option(names = "--debug", description = "containerd logs at debug level.")
        boolean debug;

        @Override
        public Integer call() throws IOException {
            ContainerdConfig config = new ContainerdConfig(dir, sandboxImage, runtimes, cniBin, bridge, subnet, debug);
            config.write();
            System.out.println(config.configFile());
            System.out.println(config.cniFile());
            return 0;
        }
    }
}
