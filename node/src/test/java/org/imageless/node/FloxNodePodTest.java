package org.imageless.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.imageless.node.cri.api.PodSandbox;
import org.imageless.node.testing.Containerd;
import org.imageless.node.testing.FloxNodeProcess;
import org.imageless.node.testing.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code flox-node pod …} and {@code flox-node image import} run as processes against a private containerd. */
class FloxNodePodTest {

    @TempDir
    static Path dir;

    static Containerd containerd;

    @BeforeAll
    static void start() throws IOException {
        Path passthrough = dir.resolve("passthrough-runtime");
        Files.writeString(passthrough, "#!/bin/sh\nexec runc \"$@\"\n");
        Files.setPosixFilePermissions(passthrough, PosixFilePermissions.fromString("rwxr-xr-x"));
        containerd = Containerd.start(dir.resolve("c"), Map.of("passthrough", passthrough));
    }

    @AfterAll
    static void stop() {
        if (containerd != null) {
            containerd.close();
        }
    }

    @Test
    void podRunStartsABusyboxPodThatExecLogsLsAndRmSee() throws Exception {
        Path secret = Files.createDirectories(dir.resolve("secret-api"));
        Files.writeString(secret.resolve("token"), "s3cret");
        Path manifest = manifest("web.yaml", """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web
                  labels: {app: web}
                  annotations:
                    flox.dev/environment: "owner/env"
                spec:
                  volumes:
                    - name: api
                      secret: {secretName: api-token}
                    - name: scratch
                      emptyDir: {}
                  initContainers:
                    - name: prepare
                      image: %1$s
                      command: ["sh", "-c", "echo prepared > /scratch/ready"]
                      volumeMounts: [{name: scratch, mountPath: /scratch}]
                  containers:
                    - name: main
                      image: %1$s
                      command: ["sh", "-c"]
                      args: ["echo hello $(GREETING) from $POD_NAME; cat /scratch/ready; exec sleep 600"]
                      env:
                        - {name: GREETING, value: world}
                        - name: POD_NAME
                          valueFrom: {fieldRef: {fieldPath: metadata.name}}
                        - name: TOKEN
                          valueFrom: {secretKeyRef: {name: api-token, key: token}}
                      volumeMounts:
                        - {name: api, mountPath: /var/run/secrets/api}
                        - {name: scratch, mountPath: /scratch}
                    - name: side
                      image: %1$s
                      command: ["sleep", "600"]
                """.formatted(TestImages.BUSYBOX));

        Run run = flox("pod", "run", manifest.toString(), "--secret", "api-token=" + secret, "--log-dir", logs(), "--volume-dir", volumes());
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.stdout()).containsPattern("pod default/web sandbox [0-9a-f]{64} handler \\(default\\)");
        assertThat(run.stdout()).containsPattern("container prepare [0-9a-f]{64} exited with code 0");
        assertThat(run.stdout()).containsPattern("container main [0-9a-f]{64} running");
        assertThat(run.stdout()).containsPattern("container side [0-9a-f]{64} running");

        PodSandbox sandbox = containerd.cri().listPodSandbox().stream()
                .filter(p -> p.getMetadata().getName().equals("web")).findFirst().orElseThrow();
        assertThat(sandbox.getLabelsMap()).containsEntry("io.kubernetes.pod.name", "web")
                .containsEntry("io.kubernetes.pod.namespace", "default").containsEntry("app", "web")
                .containsKey("io.kubernetes.pod.uid");
        assertThat(sandbox.getAnnotationsMap()).containsEntry("flox.dev/environment", "owner/env");

        awaitLog("web", "main", "prepared");
        assertThat(flox("pod", "logs", "web", "-c", "main", "--containerd-socket", socket()).stdout())
                .isEqualTo("hello world from web\nprepared\n");

        Run cat = flox("pod", "exec", "web", "--containerd-socket", socket(), "--", "sh", "-c",
                "cat /var/run/secrets/api/token; echo; echo $TOKEN; touch /var/run/secrets/api/x || echo read-only >&2; exit 7");
        assertThat(cat.exit()).isEqualTo(7);
        assertThat(cat.stdout()).isEqualTo("s3cret\ns3cret\n");
        assertThat(cat.stderr()).contains("read-only");
        assertThat(flox("pod", "exec", "web", "-c", "side", "--containerd-socket", socket(), "--", "hostname").stdout())
                .isEqualTo("web\n");

        Run ls = flox("pod", "ls", "--containerd-socket", socket());
        assertThat(ls.stdout()).containsPattern("default\\s+web\\s+ready\\s+\\(default\\)\\s+[0-9a-f]{13}\\s+.*main:running");

        Run again = flox("pod", "run", manifest.toString(), "--secret", "api-token=" + secret, "--log-dir", logs(), "--volume-dir", volumes());
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.stderr()).contains("pod default/web already runs").contains("flox-node pod rm web");

        Run rm = flox("pod", "rm", "web", "--containerd-socket", socket(), "--volume-dir", volumes());
        assertThat(rm.exit()).as(rm.stderr()).isZero();
        assertThat(rm.stdout()).startsWith("removed pod default/web sandbox " + sandbox.getId());
        assertThat(containerd.cri().listPodSandbox()).noneMatch(p -> p.getId().equals(sandbox.getId()));
        assertThat(dir.resolve("volumes").resolve(sandbox.getMetadata().getUid())).doesNotExist();
        Run gone = flox("pod", "logs", "web", "--containerd-socket", socket());
        assertThat(gone.exit()).isEqualTo(1);
        assertThat(gone.stderr()).contains("no pod default/web on this node");
    }

    @Test
    void podRunUsesTheRuntimeClassAsTheRuntimeHandler() throws Exception {
        Path manifest = manifest("classy.yaml", """
                apiVersion: v1
                kind: Pod
                metadata: {name: classy, namespace: team}
                spec:
                  runtimeClassName: passthrough
                  containers:
                    - {name: main, image: %s, command: ["sleep", "600"]}
                """.formatted(TestImages.BUSYBOX));
        Run run = flox("pod", "run", manifest.toString(), "--log-dir", logs(), "--volume-dir", volumes());
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.stdout()).contains("pod team/classy sandbox ").contains(" handler passthrough");
        assertThat(flox("pod", "ls", "--containerd-socket", socket()).stdout()).containsPattern("team\\s+classy\\s+ready\\s+passthrough");
        assertThat(flox("pod", "rm", "classy", "-n", "team", "--containerd-socket", socket()).exit()).isZero();
    }

    @Test
    void aRuntimeErrorReachesTheUserVerbatimAndTheSandboxIsRemoved() throws Exception {
        Path manifest = manifest("empty.yaml", """
                apiVersion: v1
                kind: Pod
                metadata: {name: flox-containerd-demo}
                spec:
                  containers:
                    - {name: empty, image: flox/empty:1.0.0, command: ["echoip"]}
                """);
        Run run = flox("pod", "run", manifest.toString(), "--log-dir", logs(), "--volume-dir", volumes());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stderr()).contains("flox-node: error: StartContainer: ")
                .contains("exec: \"echoip\": executable file not found in $PATH");
        assertThat(containerd.cri().listPodSandbox()).noneMatch(p -> p.getMetadata().getName().equals("flox-containerd-demo"));
    }

    @Test
    void aFailingInitContainerStopsThePodWithItsOutput() {
        Path manifest = manifest("init-fails.yaml", """
                apiVersion: v1
                kind: Pod
                metadata: {name: init-fails}
                spec:
                  initContainers:
                    - {name: migrate, image: %1$s, command: ["sh", "-c", "echo cannot reach the database >&2; exit 3"]}
                  containers:
                    - {name: main, image: %1$s, command: ["sleep", "600"]}
                """.formatted(TestImages.BUSYBOX));
        Run run = flox("pod", "run", manifest.toString(), "--log-dir", logs(), "--volume-dir", volumes());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stderr()).contains("flox-node: error: init container 'migrate' exited with code 3")
                .contains("its last output:\n  cannot reach the database");
        assertThat(containerd.cri().listPodSandbox()).noneMatch(p -> p.getMetadata().getName().equals("init-fails"));
    }

    @Test
    void anUnknownRuntimeClassIsTheRuntimesError() throws Exception {
        Path manifest = manifest("unknown.yaml", """
                apiVersion: v1
                kind: Pod
                metadata: {name: unknown-class}
                spec:
                  runtimeClassName: flox
                  containers:
                    - {name: main, image: flox/empty:1.0.0}
                """);
        Run run = flox("pod", "run", manifest.toString(), "--log-dir", logs(), "--volume-dir", volumes());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stderr()).contains("flox-node: error: RunPodSandbox: ").contains("\"flox\"");
    }

    @Test
    void aMissingImageSaysHowToImportIt() throws Exception {
        Path manifest = manifest("missing.yaml", """
                apiVersion: v1
                kind: Pod
                metadata: {name: missing}
                spec:
                  containers:
                    - {name: main, image: example/not-here:2}
                """);
        Run run = flox("pod", "run", manifest.toString(), "--log-dir", logs(), "--volume-dir", volumes());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stderr()).contains("image example/not-here:2 (docker.io/example/not-here:2) is not on this node")
                .contains("flox-node image import ARCHIVE");
    }

    @Test
    void imageImportAndWriteEmptyPutFloxEmptyWhereTheCriFindsIt() {
        containerd.ctr("images", "rm", "docker.io/flox/empty:1.0.0");
        assertThat(containerd.cri().imageStatus("flox/empty:1.0.0")).isEmpty();
        Path manifest = manifest("needs-empty.yaml", """
                apiVersion: v1
                kind: Pod
                metadata: {name: needs-empty}
                spec:
                  containers:
                    - {name: main, image: flox/empty:1.0.0}
                """);
        Run missing = flox("pod", "run", manifest.toString(), "--log-dir", logs(), "--volume-dir", volumes());
        assertThat(missing.stderr()).contains("is not on this node: import it with: flox-node image import (");

        Run imported = flox("image", "import", "--containerd-socket", socket());
        assertThat(imported.exit()).as(imported.stderr()).isZero();
        assertThat(containerd.cri().imageStatus("flox/empty:1.0.0")).isPresent();

        containerd.ctr("images", "rm", "docker.io/flox/empty:1.0.0");
        Path archive = dir.resolve("flox-empty.oci.tar");
        Run written = flox("image", "write-empty", archive.toString());
        assertThat(written.stdout()).matches("sha256:[0-9a-f]{64}\n");
        assertThat(flox("image", "import", archive.toString(), "--containerd-socket", socket()).exit()).isZero();
        assertThat(containerd.cri().imageStatus("flox/empty:1.0.0")).isPresent();
    }

    @Test
    void imageBuildImportsADirectoryAsAnImageThatAPodRuns() throws Exception {
        Path root = Files.createDirectories(dir.resolve("built-root/bin"));
        Files.copy(Path.of("/bin/busybox"), root.resolve("busybox"));
        Files.createSymbolicLink(root.resolve("sh"), Path.of("busybox"));
        Files.createSymbolicLink(root.resolve("sleep"), Path.of("busybox"));
        Run built = flox("image", "build", "-t", "example/built:1", "--entrypoint", "/bin/sh,-c",
                "--env", "GREETING=from a built image", dir.resolve("built-root").toString(), "--containerd-socket", socket());
        assertThat(built.exit()).as(built.stderr()).isZero();
        assertThat(containerd.cri().imageStatus("example/built:1")).isPresent();
        Path manifest = manifest("built.yaml", """
                apiVersion: v1
                kind: Pod
                metadata: {name: built}
                spec:
                  containers:
                    - {name: main, image: example/built:1, args: ["echo $GREETING; sleep 600"]}
                """);
        Run run = flox("pod", "run", manifest.toString(), "--log-dir", logs(), "--volume-dir", volumes());
        assertThat(run.exit()).as(run.stderr()).isZero();
        awaitLog("built", "main", "from a built image");
        assertThat(flox("pod", "logs", "built", "-c", "main", "--containerd-socket", socket()).stdout()).contains("from a built image");
        assertThat(flox("pod", "rm", "built", "--containerd-socket", socket()).exit()).isZero();

        Path archive = dir.resolve("built.oci.tar");
        Run written = flox("image", "build", "-t", "example/built:1", dir.resolve("built-root").toString(), "-o", archive.toString());
        assertThat(written.stdout()).matches("docker.io/example/built:1 sha256:[0-9a-f]{64} .*built.oci.tar\n");
        assertThat(archive).isNotEmptyFile();
    }

    @Test
    void aSecretVolumeWithoutItsDirectoryNamesTheOption() {
        Path manifest = manifest("nosecret.yaml", """
                apiVersion: v1
                kind: Pod
                metadata: {name: nosecret}
                spec:
                  volumes: [{name: tok, secret: {secretName: floxhub-token}}]
                  containers:
                    - name: main
                      image: flox/empty:1.0.0
                      volumeMounts: [{name: tok, mountPath: /var/run/secrets/flox.dev}]
                """);
        Run run = flox("pod", "run", manifest.toString(), "--log-dir", logs(), "--volume-dir", volumes());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stderr()).contains("volume 'tok' needs secret 'floxhub-token': pass --secret floxhub-token=DIR");
    }

    private static void awaitLog(String pod, String container, String text) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (Instant.now().isBefore(deadline)) {
            if (flox("pod", "logs", pod, "-c", container, "--containerd-socket", socket()).stdout().contains(text)) {
                return;
            }
            Thread.sleep(100);
        }
    }

    private static Path manifest(String name, String yaml) {
        try {
            return Files.writeString(dir.resolve(name), yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String socket() {
        return containerd.socket().toString();
    }

    private static String logs() {
        return containerd.podLogs().toString();
    }

    private static String volumes() {
        return dir.resolve("volumes").toString();
    }

    record Run(int exit, String stdout, String stderr) {}

    /** flox-node as a process; {@code pod run} gets this containerd's socket appended. */
    private static Run flox(String... args) {
        List<String> command = new ArrayList<>(List.of(args));
        if (args.length > 1 && args[0].equals("pod") && args[1].equals("run")) {
            command.addAll(List.of("--containerd-socket", socket()));
        }
        FloxNodeProcess.Run r = FloxNodeProcess.run(dir, null, command);
        return new Run(r.exit(), r.stdoutText(), r.stderr());
    }
}
