package org.imageless.node.cri;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.imageless.node.cri.api.ContainerConfig;
import org.imageless.node.cri.api.ContainerFilter;
import org.imageless.node.cri.api.ContainerStatus;
import org.imageless.node.cri.api.ContainerStatusRequest;
import org.imageless.node.cri.api.CreateContainerRequest;
import org.imageless.node.cri.api.ExecSyncRequest;
import org.imageless.node.cri.api.ExecSyncResponse;
import org.imageless.node.cri.api.Image;
import org.imageless.node.cri.api.ImageServiceGrpc;
import org.imageless.node.cri.api.ImageSpec;
import org.imageless.node.cri.api.ImageStatusRequest;
import org.imageless.node.cri.api.ListContainersRequest;
import org.imageless.node.cri.api.ListPodSandboxRequest;
import org.imageless.node.cri.api.PodSandbox;
import org.imageless.node.cri.api.PodSandboxConfig;
import org.imageless.node.cri.api.PodSandboxFilter;
import org.imageless.node.cri.api.PodSandboxStatusRequest;
import org.imageless.node.cri.api.PodSandboxStatusResponse;
import org.imageless.node.cri.api.RemoveContainerRequest;
import org.imageless.node.cri.api.RemovePodSandboxRequest;
import org.imageless.node.cri.api.RunPodSandboxRequest;
import org.imageless.node.cri.api.RuntimeServiceGrpc;
import org.imageless.node.cri.api.StartContainerRequest;
import org.imageless.node.cri.api.StatusRequest;
import org.imageless.node.cri.api.StatusResponse;
import org.imageless.node.cri.api.StopContainerRequest;
import org.imageless.node.cri.api.StopPodSandboxRequest;
import org.imageless.node.cri.api.VersionRequest;
import org.imageless.node.cri.api.VersionResponse;

/**
 * A CRI ({@code runtime.v1}) client over a unix socket, with the calls kubelet makes. Every
 * failure is a {@link CriException} carrying the runtime's message verbatim.
 */
public final class CriClient implements AutoCloseable {

    public static final Path DEFAULT_SOCKET = Path.of("/run/containerd/containerd.sock");

    private static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    /**
     * Netty warns (on stderr, through java.util.logging) that a unix-socket channel ignores a TCP
     * option gRPC sets; that line would land in every flox-node command's output. Held here so the
     * logger (and its level) is not garbage collected.
     */
    private static final java.util.logging.Logger NETTY_BOOTSTRAP = quiet("io.grpc.netty.shaded.io.netty.bootstrap");

    private static java.util.logging.Logger quiet(String name) {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
        logger.setLevel(java.util.logging.Level.SEVERE);
        return logger;
    }

    private final Path socket;
    private final ManagedChannel channel;
    private final Duration timeout;

    private CriClient(Path socket, ManagedChannel channel, Duration timeout) {
        this.socket = socket;
        this.channel = channel;
        this.timeout = timeout;
    }

    /** Connects (lazily) to the CRI server at {@code socket}; fails at once if the socket does not exist. */
    public static CriClient connect(Path socket) {
        return connect(socket, DEFAULT_TIMEOUT);
    }

    public static CriClient connect(Path socket, Duration timeout) {
        Path absolute = socket.toAbsolutePath();
        if (!Files.exists(absolute)) {
            throw new CriException("no CRI socket at " + absolute
                    + ": is containerd running? (start it, or name its socket with --containerd-socket)",
                    io.grpc.Status.Code.UNAVAILABLE);
        }
        ManagedChannel channel = Grpc.newChannelBuilder("unix://" + absolute, InsecureChannelCredentials.create())
                .maxInboundMessageSize(32 * 1024 * 1024)
                .build();
        return new CriClient(absolute, channel, timeout);
    }

    public Path socket() {
        return socket;
    }

    private RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime() {
        return RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private ImageServiceGrpc.ImageServiceBlockingStub images() {
        return ImageServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private <T> T call(String what, Supplier<T> call) {
        try {
            return call.get();
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE) {
                throw new CriException(what + ": cannot reach the CRI server at " + socket + " ("
                        + e.getStatus().getDescription() + "): is containerd running with its CRI plugin?",
                        io.grpc.Status.Code.UNAVAILABLE);
            }
            throw new CriException(what, e);
        }
    }

    public VersionResponse version() {
        return call("Version", () -> runtime().version(VersionRequest.newBuilder().setVersion("v1").build()));
    }

    public StatusResponse status() {
        return call("Status", () -> runtime().status(StatusRequest.newBuilder().build()));
    }

    /** Runs a pod sandbox with {@code runtimeHandler} (empty: the default handler); returns its id. */
    public String runPodSandbox(PodSandboxConfig config, String runtimeHandler) {
        return call("RunPodSandbox", () -> runtime().runPodSandbox(RunPodSandboxRequest.newBuilder()
                .setConfig(config).setRuntimeHandler(runtimeHandler == null ? "" : runtimeHandler).build())
                .getPodSandboxId());
    }

    public PodSandboxStatusResponse podSandboxStatus(String sandboxId) {
        return call("PodSandboxStatus", () -> runtime().podSandboxStatus(
                PodSandboxStatusRequest.newBuilder().setPodSandboxId(sandboxId).build()));
    }

    /**
     * Stops the sandbox and its containers. StopPodSandbox is idempotent and kubelet calls it again until it
     * succeeds; so do we, a few times: containerd 1.6 can fail it once when a container's shim goes away
     * while it is being killed ("ttrpc: closed").
     */
    public void stopPodSandbox(String sandboxId) {
        for (int attempt = 1; ; attempt++) {
            try {
                call("StopPodSandbox", () -> runtime().stopPodSandbox(
                        StopPodSandboxRequest.newBuilder().setPodSandboxId(sandboxId).build()));
                return;
            } catch (CriException e) {
                if (attempt == 3 || e.code() == io.grpc.Status.Code.NOT_FOUND || e.code() == io.grpc.Status.Code.UNAVAILABLE) {
                    throw e;
                }
                try {
                    Thread.sleep(200L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    public void removePodSandbox(String sandboxId) {
        call("RemovePodSandbox", () -> runtime().removePodSandbox(
                RemovePodSandboxRequest.newBuilder().setPodSandboxId(sandboxId).build()));
    }

    public List<PodSandbox> listPodSandbox() {
        return listPodSandbox(PodSandboxFilter.getDefaultInstance());
    }

    public List<PodSandbox> listPodSandbox(PodSandboxFilter filter) {
        return call("ListPodSandbox", () -> runtime().listPodSandbox(
                ListPodSandboxRequest.newBuilder().setFilter(filter).build()).getItemsList());
    }

    /** Creates a container in a sandbox; returns its id. */
    public String createContainer(String sandboxId, ContainerConfig config, PodSandboxConfig sandboxConfig) {
        return call("CreateContainer", () -> runtime().createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(sandboxId).setConfig(config).setSandboxConfig(sandboxConfig).build())
                .getContainerId());
    }

    public void startContainer(String containerId) {
        call("StartContainer", () -> runtime().startContainer(
                StartContainerRequest.newBuilder().setContainerId(containerId).build()));
    }

    public void stopContainer(String containerId, long timeoutSeconds) {
        call("StopContainer", () -> runtime().stopContainer(
                StopContainerRequest.newBuilder().setContainerId(containerId).setTimeout(timeoutSeconds).build()));
    }

    public void removeContainer(String containerId) {
        call("RemoveContainer", () -> runtime().removeContainer(
                RemoveContainerRequest.newBuilder().setContainerId(containerId).build()));
    }

    public ContainerStatus containerStatus(String containerId) {
        return call("ContainerStatus", () -> runtime().containerStatus(
                ContainerStatusRequest.newBuilder().setContainerId(containerId).build()).getStatus());
    }

    public List<org.imageless.node.cri.api.Container> listContainers(String sandboxId) {
        return call("ListContainers", () -> runtime().listContainers(ListContainersRequest.newBuilder()
                .setFilter(ContainerFilter.newBuilder().setPodSandboxId(sandboxId)).build()).getContainersList());
    }

    /** Runs {@code cmd} in a container and waits for it (at most {@code timeoutSeconds}, 0 = no limit). */
    public ExecSyncResponse execSync(String containerId, List<String> cmd, long timeoutSeconds) {
        return call("ExecSync", () -> runtime().execSync(ExecSyncRequest.newBuilder()
                .setContainerId(containerId).addAllCmd(cmd).setTimeout(timeoutSeconds).build()));
    }

    /** The image as the runtime knows it, or empty when it is not on the node. */
    public Optional<Image> imageStatus(String image) {
        return call("ImageStatus", () -> {
            var response = images().imageStatus(ImageStatusRequest.newBuilder()
                    .setImage(ImageSpec.newBuilder().setImage(image)).build());
            return response.hasImage() ? Optional.of(response.getImage()) : Optional.empty();
        });
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
