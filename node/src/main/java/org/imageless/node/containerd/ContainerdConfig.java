package org.imageless.node.containerd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The configuration of a private containerd 1.6 with the CRI plugin and flox runtime handlers, for a
 * node without a cluster (the demo, tests, an operator trying the runtime): its root, state, socket
 * ({@code <root>/containerd.sock}) and CNI configuration all under {@code root}, overlayfs, the default
 * handler {@code runc}, and one handler per entry of {@code floxRuntimes} (handler name → the binary the
 * runc shim calls instead of runc, {@code BinaryName}, with {@code pod_annotations = ["flox.dev/*"]}).
 * A CNI bridge network of its own ({@code bridge}, {@code subnet}) with the plugins in {@code cniBin}.
 * {@code restrict_oom_score_adj}: the shim cannot lower the sandbox's oom_score_adj without
 * CAP_SYS_RESOURCE (e.g. in a container or a restricted VM).
 */
public record ContainerdConfig(Path root, String sandboxImage, Map<String, Path> floxRuntimes, Path cniBin, String bridge,
                               String subnet, boolean debug) {

    /** Debian's containernetworking-plugins. */
    public static final Path DEBIAN_CNI_BIN = Path.of("/usr/lib/cni");
    private static final Pattern HANDLER = Pattern.compile("[a-z0-9][a-z0-9-]*");

    public ContainerdConfig {
        root = root.toAbsolutePath();
        floxRuntimes = new LinkedHashMap<>(floxRuntimes);
        for (String name : floxRuntimes.keySet()) {
            if (!HANDLER.matcher(name).matches() || name.equals("runc")) {
                throw new IllegalArgumentException("runtime handler name '" + name + "' must be a DNS label other than 'runc'");
            }
        }
        if (root.resolve("containerd.sock").toString().length() > 100) {
            throw new IllegalArgumentException("containerd directory " + root + " is too long for a unix socket path");
        }
    }

    public Path socket() {
        return root.resolve("containerd.sock");
    }

    public Path configFile() {
        return root.resolve("config.toml");
    }

    public Path cniFile() {
        return root.resolve("cni/net.d/10-" + bridge + ".conflist");
    }

    /** Writes {@link #configFile()} and {@link #cniFile()}. */
    public void write() throws IOException {
        Files.createDirectories(cniFile().getParent());
        Files.writeString(cniFile(), cniConflist());
        Files.writeString(configFile(), configToml());
    }

    /** containerd's {@code config.toml} (version 2). */
    public String configToml() {
        StringBuilder runtimes = new StringBuilder();
        floxRuntimes.forEach((name, binary) -> {
            String table = "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes." + name;
            runtimes.append(table).append("]\n")
                    .append("  runtime_type = \"io.containerd.runc.v2\"\n")
                    .append("  pod_annotations = [\"flox.dev/*\"]\n")
                    .append(table).append(".options]\n")
                    .append("  BinaryName = \"").append(binary.toAbsolutePath()).append("\"\n");
        });
        return """
                version = 2
                root = "%1$s/root"
                state = "%1$s/state"
                oom_score = 0

                [grpc]
                  address = "%1$s/containerd.sock"

                [ttrpc]
                  address = "%1$s/containerd.sock.ttrpc"
                %5$s
                [metrics]
                  address = ""

                [plugins."io.containerd.internal.v1.opt"]
                  path = "%1$s/opt"

                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "%2$s"
                  restrict_oom_score_adj = true
                  stream_server_address = "127.0.0.1"
                  stream_server_port = "0"
                  enable_selinux = false
                  disable_apparmor = true

                [plugins."io.containerd.grpc.v1.cri".containerd]
                  snapshotter = "overlayfs"
                  default_runtime_name = "runc"

                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                  runtime_type = "io.containerd.runc.v2"

                %3$s
                [plugins."io.containerd.grpc.v1.cri".cni]
                  bin_dir = "%4$s"
                  conf_dir = "%1$s/cni/net.d"
                """.formatted(root, sandboxImage, runtimes, cniBin, debug ? "\n[debug]\n  level = \"debug\"\n" : "");
    }

    /** The CNI network: a bridge with host-local addresses from {@code subnet}, and loopback. */
    public String cniConflist() {
        return """
                {
                  "cniVersion": "1.0.0",
                  "name": "%2$s",
                  "plugins": [
                    {
                      "type": "bridge",
                      "bridge": "%2$s",
                      "isGateway": true,
                      "ipMasq": false,
                      "ipam": {
                        "type": "host-local",
                        "dataDir": "%1$s/cni/ipam",
                        "ranges": [[{"subnet": "%3$s"}]],
                        "routes": [{"dst": "0.0.0.0/0"}]
                      }
                    },
                    {"type": "loopback"}
                  ]
                }
                """.formatted(root, bridge, subnet);
    }
}
