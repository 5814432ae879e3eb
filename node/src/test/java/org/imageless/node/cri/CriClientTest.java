package org.imageless.node.cri;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.imageless.node.cri.api.ContainerConfig;
import org.imageless.node.cri.api.ContainerMetadata;
import org.imageless.node.cri.api.ContainerState;
import org.imageless.node.cri.api.ExecSyncResponse;
import org.imageless.node.cri.api.ImageSpec;
import org.imageless.node.cri.api.PodSandboxConfig;
import org.imageless.node.cri.api.PodSandboxMetadata;
import org.imageless.node.image.OciImageArchive;
import org.imageless.node.testing.Containerd;
import org.imageless.node.testing.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CriClientTest {

    @TempDir
    static Path dir;

    static Containerd containerd;

    @BeforeAll
    static void start() {
        containerd = Containerd.start(dir.resolve("c"));
    }

    @AfterAll
    static void stop() {
        if (containerd != null) {
            containerd.close();
        }
    }

    @Test
    void versionNamesContainerdAndTheV1Api() {
        var version = containerd.cri().version();
        assertThat(version.getRuntimeName()).isEqualTo("containerd");
        assertThat(version.getRuntimeApiVersion()).isEqualTo("v1");
    }

    @Test
    void importedImagesAreKnownUnderTheirNormalisedNames() {
        CriClient cri = containerd.cri();
        assertThat(cri.imageStatus(OciImageArchive.EMPTY_IMAGE)).isPresent();
        assertThat(cri.imageStatus("docker.io/flox/empty:1.0.0")).isPresent();
        assertThat(cri.imageStatus(TestImages.BUSYBOX)).isPresent();
        assertThat(cri.imageStatus(TestImages.PAUSE)).isPresent();
        assertThat(cri.imageStatus("docker.io/flox/not-there:1")).isEmpty();
    }

    @Test
    void aBusyboxPodRunsLogsExecsAndIsRemovedCleanly() throws Exception {
        CriClient cri = containerd.cri();
        Path logs = containerd.podLogs().resolve("default_busybox_uid-1");
        PodSandboxConfig sandbox = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName("busybox").setNamespace("default").setUid("uid-1"))
                .setHostname("busybox")
                .setLogDirectory(logs.toString())
                .putLabels("io.kubernetes.pod.name", "busybox")
                .build();
        String sandboxId = cri.runPodSandbox(sandbox, "");
        String containerId = cri.createContainer(sandboxId, ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName("main"))
                .setImage(ImageSpec.newBuilder().setImage(TestImages.BUSYBOX))
                .addAllCommand(List.of("sh", "-c", "echo hello from busybox; exec sleep 600"))
                .setLogPath("main/0.log")
                .build(), sandbox);
        cri.startContainer(containerId);
        assertThat(cri.containerStatus(containerId).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);

        Path log = logs.resolve("main/0.log");
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (!(Files.exists(log) && Files.readString(log).contains("hello from busybox")) && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
        }
        assertThat(Files.readString(log, StandardCharsets.UTF_8)).contains("stdout F hello from busybox");

        ExecSyncResponse exec = cri.execSync(containerId, List.of("sh", "-c", "echo out; echo err >&2; exit 3"), 10);
        assertThat(exec.getStdout().toStringUtf8()).isEqualTo("out\n");
        assertThat(exec.getStderr().toStringUtf8()).isEqualTo("err\n");
        assertThat(exec.getExitCode()).isEqualTo(3);

        cri.stopPodSandbox(sandboxId);
        cri.removePodSandbox(sandboxId);
        assertThat(cri.listPodSandbox()).noneMatch(p -> p.getId().equals(sandboxId));
        assertThatThrownBy(() -> cri.containerStatus(containerId)).isInstanceOf(CriException.class)
                .satisfies(e -> assertThat(((CriException) e).code()).isEqualTo(io.grpc.Status.Code.NOT_FOUND));
    }

    @Test
    void theFixtureRunsAPodManifestAsKubeletWould() throws Exception {
        var pod = containerd.runPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: manifest, annotations: {flox.dev/environment: "o/n"}}
                spec:
                  containers:
                    - {name: main, image: %s, command: ["sh", "-c", "echo from the manifest; sleep 600"]}
                """.formatted(TestImages.BUSYBOX), Map.of());
        String containerId = pod.containers().getFirst().id();
        assertThat(pod.containers().getFirst().describe()).isEqualTo("running");
        assertThat(containerd.cri().podSandboxStatus(pod.sandboxId()).getStatus().getAnnotationsMap())
                .containsEntry("flox.dev/environment", "o/n");
        Instant deadline = Instant.now().plusSeconds(10);
        while (containerd.logs(containerId).isEmpty() && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
        }
        assertThat(containerd.logs(containerId)).containsExactly("from the manifest");
        containerd.cri().stopPodSandbox(pod.sandboxId());
        containerd.cri().removePodSandbox(pod.sandboxId());
    }

    @Test
    void anUnknownRuntimeHandlerIsRefusedWithTheRuntimesMessage() {
        PodSandboxConfig sandbox = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName("nohandler").setNamespace("default").setUid("uid-2"))
                .build();
        assertThatThrownBy(() -> containerd.cri().runPodSandbox(sandbox, "no-such-handler"))
                .isInstanceOf(CriException.class)
                .hasMessageStartingWith("RunPodSandbox: ")
                .hasMessageContaining("no-such-handler");
    }

    @Test
    void aMissingSocketSaysToStartContainerd() {
        assertThatThrownBy(() -> CriClient.connect(dir.resolve("nothing.sock")))
                .isInstanceOf(CriException.class)
                .hasMessageContaining("is containerd running?");
    }
}
