package org.imageless.node.pod;

import io.fabric8.kubernetes.api.model.Container;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.imageless.node.cri.CriClient;
import org.imageless.node.cri.CriException;
import org.imageless.node.cri.api.ContainerState;
import org.imageless.node.cri.api.ContainerStatus;
import org.imageless.node.cri.api.PodSandbox;
import org.imageless.node.cri.api.PodSandboxFilter;
import org.imageless.node.image.ImageReference;
import org.imageless.node.image.OciImageArchive;

/** Runs, finds and removes pods through a node's CRI, in the order and with the requests kubelet uses. */
public final class PodRunner {

    private final CriClient cri;

    public PodRunner(CriClient cri) {
        this.cri = cri;
    }

    /** A container as {@code pod run} left it. */
    public record StartedContainer(String name, String id, ContainerState state, int exitCode) {
        public String describe() {
            return switch (state) {
                case CONTAINER_RUNNING -> "running";
                case CONTAINER_EXITED -> "exited with code " + exitCode;
                case CONTAINER_CREATED -> "created";
                default -> "state unknown";
            };
        }
    }

    /** A pod {@code pod run} started: its sandbox and containers, init containers first. */
    public record RunningPod(String namespace, String name, String sandboxId, String runtimeHandler, List<StartedContainer> containers) {}

    /**
     * Runs the pod: checks its images are on the node, RunPodSandbox, then init containers one
     * after the other (each must exit 0), then CreateContainer + StartContainer for each container.
     * A failure removes the sandbox again and is thrown with the runtime's message verbatim.
     */
    public RunningPod run(PodConfigs pod, Duration initTimeout) {
        Optional<PodSandbox> existing = find(pod.namespace(), pod.name());
        if (existing.isPresent()) {
            throw new PodException("pod " + pod.namespace() + "/" + pod.name() + " already runs (sandbox "
                    + existing.get().getId() + "); remove it first with: flox-node pod rm " + pod.name()
                    + (pod.namespace().equals("default") ? "" : " -n " + pod.namespace()));
        }
        Stream.concat(pod.initContainers().stream(), pod.containers().stream()).map(Container::getImage).distinct()
                .forEach(this::requireImage);
        String sandboxId = cri.runPodSandbox(pod.sandbox(), pod.runtimeHandler());
        try {
            String podIp = cri.podSandboxStatus(sandboxId).getStatus().getNetwork().getIp();
            List<StartedContainer> started = new ArrayList<>();
            for (Container init : pod.initContainers()) {
                StartedContainer c = start(pod, sandboxId, init, podIp);
                c = waitForExit(c, initTimeout);
                started.add(c);
                if (c.state() != ContainerState.CONTAINER_EXITED || c.exitCode() != 0) {
                    throw new PodException("init container '" + init.getName() + "' " + c.describe() + failure(c.id()));
                }
            }
            for (Container container : pod.containers()) {
                started.add(start(pod, sandboxId, container, podIp));
            }
            return new RunningPod(pod.namespace(), pod.name(), sandboxId, pod.runtimeHandler(), List.copyOf(started));
        } catch (RuntimeException e) {
            try {
                cri.stopPodSandbox(sandboxId);
                cri.removePodSandbox(sandboxId);
            } catch (CriException cleanup) {
                e.addSuppressed(cleanup);
            }
            deleteTree(pod.podVolumes());
            throw e;
        }
    }

    private StartedContainer start(PodConfigs pod, String sandboxId, Container container, String podIp) {
        String id = cri.createContainer(sandboxId, pod.container(container, podIp), pod.sandbox());
        cri.startContainer(id);
        ContainerStatus status = cri.containerStatus(id);
        return new StartedContainer(container.getName(), id, status.getState(), status.getExitCode());
    }

    private StartedContainer waitForExit(StartedContainer c, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        ContainerStatus status = cri.containerStatus(c.id());
        while (status.getState() == ContainerState.CONTAINER_RUNNING && Instant.now().isBefore(deadline)) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PodException("interrupted while waiting for init container '" + c.name() + "'");
            }
            status = cri.containerStatus(c.id());
        }
        return new StartedContainer(c.name(), c.id(), status.getState(), status.getExitCode());
    }

    /** The reason and the last log lines of a container that failed, for the error message. */
    public String failure(String containerId) {
        ContainerStatus status = cri.containerStatus(containerId);
        StringBuilder out = new StringBuilder();
        if (!status.getReason().isBlank()) {
            out.append(" (").append(status.getReason()).append(status.getMessage().isBlank() ? "" : ": " + status.getMessage()).append(")");
        }
        List<String> lines = CriLog.read(Path.of(status.getLogPath()));
        if (!lines.isEmpty()) {
            out.append("; its last output:\n  ").append(String.join("\n  ", lines.subList(Math.max(0, lines.size() - 10), lines.size())));
        }
        return out.toString();
    }

    private void requireImage(String image) {
        if (cri.imageStatus(image).isPresent()) {
            return;
        }
        String normalised = ImageReference.parse(image).name();
        String fix = normalised.equals(ImageReference.parse(OciImageArchive.EMPTY_IMAGE).name())
                ? "import it with: flox-node image import"
                : "import it with: flox-node image import ARCHIVE (an OCI or docker archive), or pull it with: crictl pull " + image;
        throw new PodException("image " + image + " (" + normalised + ") is not on this node: " + fix
                + " (flox-node pod run never pulls from registries)");
    }

    /** The pod's sandbox (the newest, ready or not) by the labels kubelet puts on it. */
    public Optional<PodSandbox> find(String namespace, String name) {
        return cri.listPodSandbox(PodSandboxFilter.newBuilder()
                        .putLabelSelector(PodConfigs.POD_NAME, name)
                        .putLabelSelector(PodConfigs.POD_NAMESPACE, namespace).build())
                .stream().max(Comparator.comparingLong(PodSandbox::getCreatedAt));
    }

    public PodSandbox require(String namespace, String name) {
        return find(namespace, name).orElseThrow(() -> new PodException("no pod " + namespace + "/" + name
                + " on this node (flox-node pod ls lists them)"));
    }

    /** The container named {@code container} of the pod, or its first container when {@code container} is null. */
    public org.imageless.node.cri.api.Container container(PodSandbox sandbox, String container) {
        List<org.imageless.node.cri.api.Container> all = cri.listContainers(sandbox.getId()).stream()
                .sorted(Comparator.comparingLong(org.imageless.node.cri.api.Container::getCreatedAt)).toList();
        if (all.isEmpty()) {
            throw new PodException("pod " + podName(sandbox) + " has no containers");
        }
        if (container == null) {
            return all.stream().filter(c -> c.getState() == ContainerState.CONTAINER_RUNNING).reduce((a, b) -> a)
                    .orElse(all.getLast());
        }
        return all.stream().filter(c -> c.getMetadata().getName().equals(container)).reduce((a, b) -> b)
                .orElseThrow(() -> new PodException("pod " + podName(sandbox) + " has no container '" + container + "'; it has: "
                        + String.join(", ", all.stream().map(c -> c.getMetadata().getName()).distinct().toList())));
    }

    /** The container's log as kubectl logs prints it. */
    public List<String> logs(String containerId) {
        return CriLog.read(Path.of(cri.containerStatus(containerId).getLogPath()));
    }

    /** Stops and removes the pod's sandbox (and so its containers), and deletes its emptyDir volumes under {@code volumeDir}. */
    public String remove(String namespace, String name, Path volumeDir) {
        PodSandbox sandbox = require(namespace, name);
        cri.stopPodSandbox(sandbox.getId());
        cri.removePodSandbox(sandbox.getId());
        String uid = sandbox.getMetadata().getUid();
        if (!uid.isBlank() && !uid.contains("/") && !uid.equals("..")) {
            deleteTree(volumeDir.resolve(uid));
        }
        return sandbox.getId();
    }

    public List<PodSandbox> list() {
        return cri.listPodSandbox().stream()
                .sorted(Comparator.comparing((PodSandbox p) -> p.getMetadata().getNamespace())
                        .thenComparing(p -> p.getMetadata().getName()))
                .toList();
    }

    public List<org.imageless.node.cri.api.Container> containers(String sandboxId) {
        return cri.listContainers(sandboxId);
    }

    static String podName(PodSandbox sandbox) {
        return sandbox.getMetadata().getNamespace() + "/" + sandbox.getMetadata().getName();
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the pod's volumes in " + dir, e);
        }
    }

    /** The CRI log file format: {@code TIMESTAMP STREAM P|F MESSAGE} per line, P for a partial line. */
    static final class CriLog {

        private CriLog() {}

        static List<String> read(Path file) {
            if (!Files.exists(file)) {
                return List.of();
            }
            List<String> lines = new ArrayList<>();
            StringBuilder partial = new StringBuilder();
            try {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    String[] parts = line.split(" ", 4);
                    if (parts.length < 3) {
                        continue;
                    }
                    partial.append(parts.length == 4 ? parts[3] : "");
                    if (parts[2].equals("F")) {
                        lines.add(partial.toString());
                        partial.setLength(0);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read container log " + file, e);
            }
            if (!partial.isEmpty()) {
                lines.add(partial.toString());
            }
            return lines;
        }
    }
}
