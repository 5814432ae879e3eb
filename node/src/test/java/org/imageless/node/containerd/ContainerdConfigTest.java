package org.imageless.node.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.imageless.node.testing.FloxNodeProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flox-node containerd config}, run as a process: the files it writes parse and say what the
 * demo and the test fixture's containerd need (the fixture starts real containerd from the same class).
 */
class ContainerdConfigTest {

    @TempDir
    Path dir;

    @Test
    void writesAConfigWithTheFloxHandlersAndABridgeNetwork() throws Exception {
        Path cns = dir.resolve("cns");
        FloxNodeProcess.Run run = FloxNodeProcess.run(dir, null, List.of("containerd", "config", cns.toString(),
                "--sandbox-image", "docker.io/x/pause:1", "--runtime", "flox=/opt/flox-container-runtime",
                "--runtime", "flox-dev=/opt/dev-runtime", "--bridge", "flox9", "--subnet", "10.1.2.0/24"));
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.stdoutText().lines()).containsExactly(cns.resolve("config.toml").toString(),
                cns.resolve("cni/net.d/10-flox9.conflist").toString());

        JsonNode toml = new TomlMapper().readTree(Files.readString(cns.resolve("config.toml")));
        assertThat(toml.path("grpc").path("address").asText()).isEqualTo(cns.resolve("containerd.sock").toString());
        JsonNode cri = toml.path("plugins").path("io.containerd.grpc.v1.cri");
        assertThat(cri.path("sandbox_image").asText()).isEqualTo("docker.io/x/pause:1");
        assertThat(cri.path("restrict_oom_score_adj").asBoolean()).isTrue();
        JsonNode runtimes = cri.path("containerd").path("runtimes");
        assertThat(runtimes.path("flox").path("runtime_type").asText()).isEqualTo("io.containerd.runc.v2");
        assertThat(runtimes.path("flox").path("pod_annotations").get(0).asText()).isEqualTo("flox.dev/*");
        assertThat(runtimes.path("flox").path("options").path("BinaryName").asText()).isEqualTo("/opt/flox-container-runtime");
        assertThat(runtimes.path("flox-dev").path("options").path("BinaryName").asText()).isEqualTo("/opt/dev-runtime");
        assertThat(runtimes.path("runc").path("runtime_type").asText()).isEqualTo("io.containerd.runc.v2");
        assertThat(toml.has("debug")).isFalse();

        JsonNode cni = JsonMapper.builder().build().readTree(Files.readString(cns.resolve("cni/net.d/10-flox9.conflist")));
        assertThat(cni.path("plugins").get(0).path("bridge").asText()).isEqualTo("flox9");
        assertThat(cni.path("plugins").get(0).path("ipam").path("ranges").get(0).get(0).path("subnet").asText()).isEqualTo("10.1.2.0/24");
    }

    @Test
    void aHandlerNamedRuncOrNotALabelIsRefused() {
        FloxNodeProcess.Run run = FloxNodeProcess.run(dir, null, List.of("containerd", "config", dir.resolve("c").toString(),
                "--sandbox-image", "p:1", "--runtime", "runc=/x"));
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stderr()).contains("flox-node: error: runtime handler name 'runc' must be a DNS label other than 'runc'");
        assertThat(dir.resolve("c/config.toml")).doesNotExist();
    }
}
