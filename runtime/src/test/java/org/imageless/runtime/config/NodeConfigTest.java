package org.imageless.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeConfigTest {

    static final String KEY = "hub-1:" + java.util.Base64.getEncoder().encodeToString(new byte[32]);

    @TempDir
    Path tmp;

    @Test
    void readsEveryKeyAndDefaultsTheRest() {
        NodeConfig c = NodeConfig.parse("hub_url = \"http://hub:8080/\"\ntrusted_keys = [\"" + KEY + "\"]\n", "node.toml");
        assertThat(c.hubUrl()).hasToString("http://hub:8080");
        assertThat(c.trustedKeys()).hasSize(1);
        assertThat(c.storeDir()).isEqualTo(Path.of("/var/lib/flox/store"));
        assertThat(c.stateDir()).isEqualTo(Path.of("/var/lib/flox"));
        assertThat(c.runc()).isEqualTo("runc");
        assertThat(c.tokenFile()).isEmpty();
        assertThat(c.system()).isEqualTo("x86_64-linux");

        NodeConfig full = NodeConfig.parse("""
                hub_url = "https://hub.example.com"
                trusted_keys = ["%s"]
                store_dir = "/srv/flox/store"
                state_dir = "/srv/flox"
                token_file = "/etc/flox/token"
                runc = "/usr/sbin/runc"
                node_name = "node-1"
                system = "aarch64-linux"
                """.formatted(KEY), "node.toml");
        assertThat(full.storeDir()).isEqualTo(Path.of("/srv/flox/store"));
        assertThat(full.mutableDir("c1")).isEqualTo(Path.of("/srv/flox/mutable/c1"));
        assertThat(full.tokenFile()).contains(Path.of("/etc/flox/token"));
        assertThat(full.nodeName()).isEqualTo("node-1");
        assertThat(full.system()).isEqualTo("aarch64-linux");
    }

    @Test
    void anUnknownKeyIsAnErrorNamingFileAndKey() {
        assertThatThrownBy(() -> NodeConfig.parse("hub_url = \"http://h\"\ntrusted_keys = [\"" + KEY + "\"]\nhub_uri = 1\n",
                "/etc/flox/node.toml"))
                .hasMessageStartingWith("/etc/flox/node.toml: unknown key 'hub_uri'");
    }

    @Test
    void missingOrBadValuesAreErrorsNamingTheKey() {
        assertThatThrownBy(() -> NodeConfig.parse("trusted_keys = [\"" + KEY + "\"]", "n.toml"))
                .hasMessageStartingWith("n.toml: missing key 'hub_url'");
        assertThatThrownBy(() -> NodeConfig.parse("hub_url = \"http://h\"", "n.toml"))
                .hasMessageStartingWith("n.toml: 'trusted_keys' must be a non-empty list");
        assertThatThrownBy(() -> NodeConfig.parse("hub_url = \"http://h\"\ntrusted_keys = [\"nokey\"]", "n.toml"))
                .hasMessageStartingWith("n.toml: trusted_keys entry 'nokey' is not a Nix public key");
        assertThatThrownBy(() -> NodeConfig.parse("hub_url = \"ftp://h\"\ntrusted_keys = [\"" + KEY + "\"]", "n.toml"))
                .hasMessageContaining("must start with http:// or https://");
        assertThatThrownBy(() -> NodeConfig.parse("hub_url = \"http://h\"\ntrusted_keys = [\"" + KEY + "\"]\nstore_dir = \"rel\"", "n.toml"))
                .hasMessageContaining("store_dir 'rel' must be an absolute path");
        assertThatThrownBy(() -> NodeConfig.parse("hub_url = = 1", "n.toml"))
                .hasMessageStartingWith("n.toml is not valid TOML");
    }

    @Test
    void theFileComesFromFloxNodeConfigAndAMissingOneSaysWhatToDo() throws Exception {
        assertThat(NodeConfig.file(Map.of())).isEqualTo(Path.of("/etc/flox/node.toml"));
        Path f = Files.writeString(tmp.resolve("node.toml"), "hub_url = \"http://h\"\ntrusted_keys = [\"" + KEY + "\"]\n");
        assertThat(NodeConfig.file(Map.of("FLOX_NODE_CONFIG", f.toString()))).isEqualTo(f);
        assertThat(NodeConfig.load(f).hubUrl()).hasToString("http://h");
        assertThatThrownBy(() -> NodeConfig.load(tmp.resolve("absent.toml")))
                .hasMessageContaining("absent.toml does not exist").hasMessageContaining("FLOX_NODE_CONFIG");
    }
}
