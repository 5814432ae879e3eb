package org.imageless.node.pod;

import java.nio.file.Path;
import org.imageless.node.cri.CriClient;
import picocli.CommandLine.Option;

/** {@code --containerd-socket}: which CRI server the pod commands talk to. */
public final class CriOptions {

    @Option(names = "--containerd-socket", paramLabel = "SOCKET",
            description = "containerd's socket (its CRI plugin); default: ${DEFAULT-VALUE}.")
    Path socket = CriClient.DEFAULT_SOCKET;

    public Path socket() {
        return socket;
    }

    public CriClient connect() {
        return CriClient.connect(socket);
    }
}
