package org.imageless.node.pod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Pod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.imageless.node.cri.api.ContainerConfig;
import org.imageless.node.cri.api.KeyValue;
import org.imageless.node.cri.api.NamespaceMode;
import org.imageless.node.cri.api.PodSandboxConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Pod → CRI translation, on in-memory manifests (the containerd tests run the same through a real CRI). */
class PodConfigsTest {

    @TempDir
    Path dir;

    static final String FLOX_DEMO = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: flox-containerd-demo
              annotations:
                flox.dev/environment: "limeytexan/echoip"
            spec:
              runtimeClassName: flox
              containers:
                - name: empty
                  image: flox/empty:1.0.0
                  command: ["echoip"]
            """;

    @Test
    void floxsDocumentedPodBecomesTheSandboxKubeletWouldAskFor() {
        Pod pod = PodManifest.parse(FLOX_DEMO, "demo.yaml");
        PodConfigs configs = new PodConfigs(pod, Map.of(), dir.resolve("logs"), dir.resolve("volumes"));
        assertThat(configs.runtimeHandler()).isEqualTo("flox");
        PodSandboxConfig sandbox = configs.sandbox();
        assertThat(sandbox.getMetadata().getName()).isEqualTo("flox-containerd-demo");
        assertThat(sandbox.getMetadata().getNamespace()).isEqualTo("default");
        assertThat(sandbox.getMetadata().getUid()).matches("[0-9a-f-]{36}");
        assertThat(sandbox.getAnnotationsMap()).containsExactly(Map.entry("flox.dev/environment", "limeytexan/echoip"));
        assertThat(sandbox.getLabelsMap()).containsEntry("io.kubernetes.pod.name", "flox-containerd-demo")
                .containsEntry("io.kubernetes.pod.namespace", "default")
                .containsEntry("io.kubernetes.pod.uid", sandbox.getMetadata().getUid());
        assertThat(sandbox.getLogDirectory()).isEqualTo(dir.resolve("logs")
                .resolve("default_flox-containerd-demo_" + sandbox.getMetadata().getUid()).toString());
        assertThat(sandbox.getLinux().getSecurityContext().getNamespaceOptions().getPid()).isEqualTo(NamespaceMode.CONTAINER);

        ContainerConfig container = configs.container(pod.getSpec().getContainers().getFirst(), "10.0.0.2");
        assertThat(container.getImage().getImage()).isEqualTo("flox/empty:1.0.0");
        assertThat(container.getCommandList()).containsExactly("echoip");
        assertThat(container.getLogPath()).isEqualTo("empty/0.log");
        assertThat(container.getLabelsMap()).containsEntry("io.kubernetes.container.name", "empty");
    }

    @Test
    void envExpandsAndSecretVolumesComeFromTheirDirectoriesReadOnly() throws Exception {
        Path token = Files.createDirectories(dir.resolve("token"));
        Files.writeString(token.resolve("floxhub-token"), "flox_pat_x");
        Pod pod = PodManifest.parse("""
                metadata: {name: p, namespace: team, uid: u-1}
                spec:
                  volumes: [{name: t, secret: {secretName: floxhub}}, {name: s, emptyDir: {}}]
                  containers:
                    - name: c
                      image: busybox
                      command: ["echo", "$(A)-$(MISSING)-$$(A)"]
                      env:
                        - {name: A, value: one}
                        - {name: B, value: "$(A)two"}
                        - {name: IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
                      volumeMounts:
                        - {name: t, mountPath: /var/run/secrets/flox.dev}
                        - {name: s, mountPath: /scratch, subPath: sub}
                """, "p.yaml");
        PodConfigs configs = new PodConfigs(pod, Map.of("floxhub", token), dir.resolve("logs"), dir.resolve("volumes"));
        ContainerConfig c = configs.container(pod.getSpec().getContainers().getFirst(), "10.1.2.3");
        assertThat(c.getCommandList()).containsExactly("echo", "one-$(MISSING)-$(A)");
        assertThat(c.getEnvsList()).extracting(KeyValue::getKey, KeyValue::getValue)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("A", "one"), org.assertj.core.groups.Tuple.tuple("B", "onetwo"),
                        org.assertj.core.groups.Tuple.tuple("IP", "10.1.2.3"));
        assertThat(c.getMounts(0).getHostPath()).isEqualTo(token.toAbsolutePath().toString());
        assertThat(c.getMounts(0).getReadonly()).isTrue();
        assertThat(c.getMounts(1).getHostPath()).isEqualTo(dir.resolve("volumes/u-1/empty-dir/s/sub").toAbsolutePath().toString());
        assertThat(dir.resolve("volumes/u-1/empty-dir/s")).isDirectory();
    }

    @Test
    void manifestsAreCheckedAsTheApiServerWould() {
        assertThatThrownBy(() -> PodManifest.parse("kind: Deployment\nmetadata: {name: d}\n", "d.yaml"))
                .hasMessage("d.yaml: kind is 'Deployment'; flox-node pod run runs a single Pod (take the pod template out of a Deployment)");
        assertThatThrownBy(() -> PodManifest.parse("kind: Pod\nspec: {containers: [{name: a, image: b}]}\n", "n.yaml"))
                .hasMessageContaining("metadata.name is missing");
        assertThatThrownBy(() -> PodManifest.parse("metadata: {name: Bad_Name}\nspec: {containers: [{name: a, image: b}]}\n", "b.yaml"))
                .hasMessageContaining("metadata.name 'Bad_Name' is not a DNS label");
        assertThatThrownBy(() -> PodManifest.parse("metadata: {name: p}\nspec: {containers: [{name: a}]}\n", "i.yaml"))
                .hasMessageContaining("container 'a' has no image");
        assertThatThrownBy(() -> PodManifest.parse("metadata: {name: p}\nspec: {containers: [{name: a, image: x}, {name: a, image: y}]}\n", "i.yaml"))
                .hasMessageContaining("two containers are named 'a'");
        assertThatThrownBy(() -> PodManifest.parse("metadata: {name: p\n", "broken.yaml"))
                .hasMessageStartingWith("broken.yaml: not a valid pod manifest");
    }

    @Test
    void volumesThatNeedAnApiServerAreRefusedByName() {
        Pod pod = PodManifest.parse("""
                metadata: {name: p}
                spec:
                  volumes: [{name: cfg, configMap: {name: c}}]
                  containers: [{name: a, image: b, volumeMounts: [{name: cfg, mountPath: /etc/cfg}]}]
                """, "p.yaml");
        PodConfigs configs = new PodConfigs(pod, Map.of(), dir, dir);
        assertThatThrownBy(() -> configs.container(pod.getSpec().getContainers().getFirst(), ""))
                .hasMessageContaining("volume 'cfg': only secret (with --secret), emptyDir and hostPath volumes work without an API server");
    }
}
