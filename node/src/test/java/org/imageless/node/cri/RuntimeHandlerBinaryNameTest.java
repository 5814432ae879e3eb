package org.imageless.node.cri;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.imageless.node.cri.api.ContainerConfig;
import org.imageless.node.cri.api.ContainerMetadata;
import org.imageless.node.cri.api.ImageSpec;
import org.imageless.node.cri.api.PodSandboxConfig;
import org.imageless.node.cri.api.PodSandboxMetadata;
import org.imageless.node.testing.Containerd;
import org.imageless.node.testing.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the runc shim does with a handler's {@code BinaryName}: it calls that binary with runc's
 * arguments (global options, then the subcommand), for the sandbox and the containers alike, and
 * passes the pod's {@code flox.dev/*} annotations into the bundle's config.json.
 */
class RuntimeHandlerBinaryNameTest {

    @TempDir
    static Path dir;

    static Containerd containerd;
    static Path calls;
    static Path bundles;

    @BeforeAll
    static void start() throws Exception {
        calls = dir.resolve("calls.tsv");
        bundles = Files.createDirectories(dir.resolve("bundles"));
        Path wrapper = dir.resolve("recording-runtime");
        Files.writeString(wrapper, """
                #!/bin/sh
                # one line per call: the working directory, then each argument, tab-separated
                { printf '%%s' "$(pwd)"; for a in "$@"; do printf '\\t%%s' "$a"; done; printf '\\n'; } >> %1$s
                prev=""
                for a in "$@"; do
                  if [ "$prev" = "--bundle" ] && [ -f "$a/config.json" ]; then cp "$a/config.json" "%2$s/$(basename "$a").json"; fi
                  if [ "$prev" = "--process" ] && [ -f "$a" ]; then cp "$a" "%2$s/exec-process.json"; fi
                  prev="$a"
                done
                [ -f "%2$s/environment" ] || env > "%2$s/environment"
                exec runc "$@"
                """.formatted(calls, bundles));
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path failing = dir.resolve("failing-runtime");
        Files.writeString(failing, """
                #!/bin/sh
                # refuses to create app containers, as flox-container-runtime does on an error: one JSON line
                # with level error in runc's --log file, nothing on stdout/stderr, a non-zero exit
                log=""; prev=""; sub=""; bundle=""
                for a in "$@"; do
                  case "$prev" in --log) log="$a" ;; --bundle) bundle="$a" ;; esac
                  case "$a" in create|start|exec|delete|kill|state) [ -z "$sub" ] && sub="$a" ;; esac
                  prev="$a"
                done
                if [ "$sub" = create ] && grep -q '"io.kubernetes.cri.container-type":"container"' "$bundle/config.json"; then
                  printf '{"level":"error","msg":"flox: environment \\"owner/missing\\" does not exist on the hub; check the flox.dev/environment annotation","time":"2026-01-01T00:00:00Z"}\\n' >> "$log"
                  exit 1
                fi
                exec runc "$@"
                """);
        Files.setPosixFilePermissions(failing, PosixFilePermissions.fromString("rwxr-xr-x"));
        containerd = Containerd.start(dir.resolve("c"), Map.of("recorder", wrapper, "failing", failing),
                Map.of("FLOX_NODE_CONFIG", "/etc/flox/test-node.toml"));
    }

    @AfterAll
    static void stop() {
        if (containerd != null) {
            containerd.close();
        }
    }

    @Test
    void theShimCallsTheBinaryNameWithRuncsArgumentsAndContainerdsEnvironment() throws Exception {
        CriClient cri = containerd.cri();
        PodSandboxConfig sandbox = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName("recorded").setNamespace("default").setUid("uid-rec"))
                .setLogDirectory(containerd.podLogs().resolve("default_recorded_uid-rec").toString())
                .putAnnotations("flox.dev/environment", "owner/name")
                .putAnnotations("other.example/ignored", "x")
                .build();
        String sandboxId = cri.runPodSandbox(sandbox, "recorder");
        String containerId = cri.createContainer(sandboxId, sleeper(), sandbox);
        cri.startContainer(containerId);
        assertThat(cri.execSync(containerId, List.of("echo", "exec works"), 10).getStdout().toStringUtf8())
                .isEqualTo("exec works\n");
        cri.stopPodSandbox(sandboxId);
        cri.removePodSandbox(sandboxId);

        List<Call> recorded = new ArrayList<>();
        for (String line : Files.readAllLines(calls)) {
            List<String> fields = List.of(line.split("\t"));
            recorded.add(new Call(fields.getFirst(), fields.subList(1, fields.size())));
        }
        System.out.println("runc calls through BinaryName (cwd: argv…):");
        recorded.forEach(c -> System.out.println("  " + c.cwd() + ": " + String.join(" ", c.argv())));

        for (Call call : recorded) {
            assertThat(call.argv().subList(0, 6)).containsExactly(
                    "--root", "/run/containerd/runc/k8s.io", "--log", call.argv().get(3), "--log-format", "json");
            assertThat(Path.of(call.argv().get(3)).getFileName()).hasToString("log.json");
        }
        assertThat(subcommands(recorded, containerId)).containsSubsequence("create", "start", "exec", "kill", "delete");
        assertThat(subcommands(recorded, sandboxId)).containsSubsequence("create", "start", "kill", "delete");

        Call create = first(recorded, containerId, "create");
        Path bundle = Path.of(create.argv().get(3)).getParent();
        assertThat(create.argv().subList(6, create.argv().size())).containsExactly(
                "create", "--bundle", bundle.toString(), "--pid-file", bundle.resolve("init.pid").toString(), containerId);
        // one shim per pod: every call runs in the sandbox's bundle directory
        Path sandboxBundle = Path.of(first(recorded, sandboxId, "create").argv().get(3)).getParent();
        assertThat(recorded).allMatch(c -> c.cwd().equals(sandboxBundle.toString()) || c.argv().contains("--force"));
        Call exec = first(recorded, containerId, "exec");
        assertThat(exec.argv().get(6)).isEqualTo("exec");
        assertThat(exec.argv().get(7)).isEqualTo("--process");
        assertThat(exec.argv().get(8)).startsWith("/tmp/runc-process");
        assertThat(exec.argv().subList(9, exec.argv().size())).startsWith("--detach", "--pid-file").endsWith(containerId);

        String environment = Files.readString(bundles.resolve("environment"));
        System.out.println("environment of the runtime binary:\n" + environment);
        assertThat(environment).as("containerd's environment reaches the runtime binary")
                .contains("FLOX_NODE_CONFIG=/etc/flox/test-node.toml").contains("TTRPC_ADDRESS=" + containerd.socket() + ".ttrpc");
        ObjectMapper json = new ObjectMapper();
        JsonNode process = json.readTree(bundles.resolve("exec-process.json").toFile());
        System.out.println("exec --process file: " + process);
        assertThat(process.at("/args/0").asText()).isEqualTo("echo");
        assertThat(process.at("/args/1").asText()).isEqualTo("exec works");
        assertThat(process.at("/env").isArray()).isTrue();
        JsonNode containerSpec = json.readTree(bundles.resolve(containerId + ".json").toFile());
        assertThat(containerSpec.at("/annotations/io.kubernetes.cri.container-type").asText()).isEqualTo("container");
        assertThat(containerSpec.at("/annotations/io.kubernetes.cri.sandbox-id").asText()).isEqualTo(sandboxId);
        assertThat(containerSpec.at("/annotations/flox.dev~1environment").asText()).isEqualTo("owner/name");
        assertThat(containerSpec.at("/annotations/other.example~1ignored").isMissingNode()).isTrue();
        JsonNode sandboxSpec = json.readTree(bundles.resolve(sandboxId + ".json").toFile());
        assertThat(sandboxSpec.at("/annotations/io.kubernetes.cri.container-type").asText()).isEqualTo("sandbox");
        assertThat(sandboxSpec.at("/annotations/flox.dev~1environment").asText()).isEqualTo("owner/name");
    }

    @Test
    void anErrorLineInTheLogFileIsWhatTheCriCallerSees() {
        CriClient cri = containerd.cri();
        PodSandboxConfig sandbox = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName("refused").setNamespace("default").setUid("uid-fail"))
                .setLogDirectory(containerd.podLogs().resolve("default_refused_uid-fail").toString())
                .build();
        String sandboxId = cri.runPodSandbox(sandbox, "failing");
        try {
            String containerId = cri.createContainer(sandboxId, sleeper(), sandbox);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> cri.startContainer(containerId))
                    .isInstanceOf(CriException.class)
                    .hasMessage("StartContainer: failed to create containerd task: failed to create shim task: OCI runtime create failed:"
                            + " flox: environment \"owner/missing\" does not exist on the hub; check the flox.dev/environment annotation: unknown");
        } finally {
            cri.stopPodSandbox(sandboxId);
            cri.removePodSandbox(sandboxId);
        }
    }

    /** One call of the runtime binary: the shim's working directory and runc's arguments. */
    record Call(String cwd, List<String> argv) {
        /** The container the call is about: the task directory holding its {@code --log} file. */
        String id() {
            return Path.of(argv.get(3)).getParent().getFileName().toString();
        }

        String subcommand() {
            return argv.get(6);
        }
    }

    private static List<String> subcommands(List<Call> calls, String id) {
        return calls.stream().filter(c -> c.id().equals(id)).map(Call::subcommand).toList();
    }

    private static Call first(List<Call> calls, String id, String subcommand) {
        return calls.stream().filter(c -> c.id().equals(id) && c.subcommand().equals(subcommand)).findFirst().orElseThrow();
    }

    /** Container "main": busybox sleeping 600 s. */
    private static ContainerConfig sleeper() {
        return ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName("main"))
                .setImage(ImageSpec.newBuilder().setImage(TestImages.BUSYBOX))
                .addAllCommand(List.of("sleep", "600"))
                .setLogPath("main/0.log")
                .build();
    }
}
