package org.imageless.runtime.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.imageless.nix.NixException;
import org.imageless.nix.sign.PublicKey;

/**
 * The node's configuration, {@code /etc/flox/node.toml} (another file with {@code FLOX_NODE_CONFIG=PATH}).
 * Unknown keys are errors that name the file and the key.
 *
 * @param hubUrl      the hub (its REST API under {@code /api/v1}, its binary cache under {@code /cache})
 * @param trustedKeys Nix public keys ({@code name:base64}) whose signatures the node accepts
 * @param storeDir    the node store (default {@code /var/lib/flox/store})
 * @param tokenFile   the node's own hub token, used when a pod mounts none
 * @param runc        the real runc (default {@code runc} on PATH)
 * @param stateDir    {@code tmp/}, {@code mutable/}, {@code roots/}, {@code resolved/}, {@code containers/} (default {@code /var/lib/flox})
 * @param nodeName    reported with activations (default: the host name)
 * @param system      the Nix system whose packages this node runs (default from the JVM's architecture)
 */
public record NodeConfig(URI hubUrl, List<PublicKey> trustedKeys, Path storeDir, Optional<Path> tokenFile, String runc,
                         Path stateDir, String nodeName, String system) {

    public static final String ENV = "FLOX_NODE_CONFIG";
    public static final Path DEFAULT_FILE = Path.of("/etc/flox/node.toml");
    public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/flox");
    /** Thread-safe once built; one per JVM (the resident daemon loads node.toml per request). */
    private static final TomlMapper TOML = new TomlMapper();
    static final List<String> KEYS = List.of("hub_url", "trusted_keys", "store_dir", "token_file", "runc", "state_dir",
            "node_name", "system");

    public NodeConfig {
        trustedKeys = List.copyOf(trustedKeys);
    }

    /** The file {@link #load()} reads: {@code $FLOX_NODE_CONFIG}, else {@code /etc/flox/node.toml}. */
    public static Path file(Map<String, String> env) {
        String override = env.get(ENV);
        return override != null && !override.isBlank() ? Path.of(override) : DEFAULT_FILE;
    }

    public static NodeConfig load() {
        return load(file(System.getenv()));
    }

    public static NodeConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw NixException.invalid("node configuration %s does not exist: create it with at least hub_url and "
                    + "trusted_keys (see the README, 'Node runtime'), or point %s at another file", file, ENV);
        } catch (IOException e) {
            throw new NixException(NixException.Kind.IO, "cannot read node configuration " + file + ": " + e, e);
        }
        String key = file + "\n" + text;
        NodeConfig kept = LOADED.get(key);
        if (kept != null) {
            return kept;
        }
        return LOADED.put(key, parse(text, file.toString()));
    }

    /**
     * What {@link #load(Path)} parsed in this JVM, by file and text: the resident daemon loads node.toml
     * at every request, and the same text gives the same configuration (defaults such as the host name
     * are taken when the text is first seen).
     */
    private static final org.imageless.nix.BoundedMemo<String, NodeConfig> LOADED = new org.imageless.nix.BoundedMemo<>(16);

    /** Parses node.toml text; {@code file} names it in errors. */
    public static NodeConfig parse(String text, String file) {
        JsonNode root;
        try {
            root = TOML.readTree(text);
        } catch (IOException e) {
            throw NixException.invalid("%s is not valid TOML: %s", file, e.getMessage().lines().findFirst().orElse(""));
        }
        if (!(root instanceof ObjectNode object)) {
            throw NixException.invalid("%s is not a TOML table", file);
        }
        for (String key : (Iterable<String>) object::fieldNames) {
            if (!KEYS.contains(key)) {
                throw NixException.invalid("%s: unknown key '%s': known keys are %s", file, key, String.join(", ", KEYS));
            }
        }
        String hub = string(object, file, "hub_url").orElseThrow(() -> NixException.invalid(
                "%s: missing key 'hub_url': set it to the hub's URL, e.g. hub_url = \"https://hub.example.com\"", file));
        URI hubUrl;
        try {
            hubUrl = new URI(hub.endsWith("/") ? hub.substring(0, hub.length() - 1) : hub);
        } catch (URISyntaxException e) {
            throw NixException.invalid("%s: hub_url '%s' is not a URL: %s", file, hub, e.getMessage());
        }
        if (!"http".equals(hubUrl.getScheme()) && !"https".equals(hubUrl.getScheme())) {
            throw NixException.invalid("%s: hub_url '%s' must start with http:// or https://", file, hub);
        }
        JsonNode keys = object.get("trusted_keys");
        if (keys == null || !keys.isArray() || keys.isEmpty()) {
            throw NixException.invalid("%s: 'trusted_keys' must be a non-empty list of Nix public keys "
                    + "(name:base64, e.g. the hub's key from its /cache/nix-cache-info page or its operator)", file);
        }
        List<PublicKey> trusted = new ArrayList<>();
        for (JsonNode k : keys) {
            if (!k.isTextual()) {
                throw NixException.invalid("%s: 'trusted_keys' must be a list of strings", file);
            }
            try {
                trusted.add(PublicKey.parse(k.asText()));
            } catch (NixException e) {
                throw NixException.invalid("%s: trusted_keys entry '%s' is not a Nix public key: %s", file, k.asText(),
                        e.getMessage());
            }
        }
        Path stateDir = string(object, file, "state_dir").map(Path::of).orElse(DEFAULT_STATE_DIR);
        Path storeDir = string(object, file, "store_dir").map(Path::of).orElse(DEFAULT_STATE_DIR.resolve("store"));
        for (Map.Entry<String, Path> dir : Map.of("state_dir", stateDir, "store_dir", storeDir).entrySet()) {
            if (!dir.getValue().isAbsolute()) {
                throw NixException.invalid("%s: %s '%s' must be an absolute path", file, dir.getKey(), dir.getValue());
            }
        }
        return new NodeConfig(hubUrl, trusted, storeDir, string(object, file, "token_file").map(Path::of),
                string(object, file, "runc").orElse("runc"), stateDir,
                string(object, file, "node_name").orElseGet(NodeConfig::hostName),
                string(object, file, "system").orElseGet(NodeConfig::currentSystem));
    }

    private static Optional<String> string(ObjectNode object, String file, String key) {
        JsonNode v = object.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw NixException.invalid("%s: '%s' must be a non-empty string", file, key);
        }
        return Optional.of(v.asText());
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** The Nix system of this JVM's platform: x86_64-linux, aarch64-linux, … */
    public static String currentSystem() {
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            case String other -> other;
        };
        String os = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("mac") ? "darwin" : "linux";
        return arch + "-" + os;
    }

    /** {@code state_dir/tmp}: work in progress (same file system as the store, for atomic renames). */
    public Path tmpDir() {
        return stateDir.resolve("tmp");
    }

    /** {@code state_dir/roots}: one file per container listing the store paths it uses (gc roots). */
    public Path rootsDir() {
        return stateDir.resolve("roots");
    }

    /** {@code state_dir/mutable/<id>}: a nix-mutable container's private overlay. */
    public Path mutableDir(String containerId) {
        return stateDir.resolve("mutable").resolve(containerId);
    }

    /** {@code state_dir/containers/<id>}: the activation recorded at create, read by exec. */
    public Path containerDir(String containerId) {
        return stateDir.resolve("containers").resolve(containerId);
    }

    /** {@code state_dir/resolved}: generations this node resolved, for starts while the hub is unreachable. */
    public Path resolvedDir() {
        return stateDir.resolve("resolved");
    }
}
