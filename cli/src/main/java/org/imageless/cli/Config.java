package org.imageless.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.imageless.nix.NixException;

/**
 * The CLI's configuration, as Flox reads it: {@code $FLOX_CONFIG_DIR/flox.toml} (default
 * {@code $XDG_CONFIG_HOME/flox}, else {@code ~/.config/flox}) with {@code floxhub_url} and
 * {@code floxhub_token}; the environment variables {@code FLOX_FLOXHUB_URL},
 * {@code FLOX_FLOXHUB_TOKEN} and {@code FLOX_DISABLE_METRICS} override the file.
 *
 * @param hubUrl         without a final slash
 * @param token          {@code null} when not logged in
 * @param tokenSource    where the token came from, for messages ({@code FLOX_FLOXHUB_TOKEN} or the file)
 * @param configDir      holds {@code flox.toml}
 * @param cacheDir       {@code $FLOX_CACHE_DIR}, else {@code $XDG_CACHE_HOME/flox}, else {@code ~/.cache/flox}
 * @param dataDir        {@code $FLOX_DATA_DIR}, else {@code $XDG_DATA_HOME/flox}, else {@code ~/.local/share/flox}
 * @param disableMetrics {@code FLOX_DISABLE_METRICS} or {@code disable_metrics}; this CLI sends no metrics either way
 */
public record Config(String hubUrl, String token, String tokenSource, Path configDir, Path cacheDir, Path dataDir,
                     boolean disableMetrics, Map<String, String> env) {

    public static final String DEFAULT_HUB_URL = "http://127.0.0.1:8484";
    public static final String FILE_NAME = "flox.toml";
    private static final TomlMapper TOML = new TomlMapper();

    /** Loads the configuration for a process with environment {@code env}. */
    public static Config load(Map<String, String> env) {
        Path home = Path.of(env.getOrDefault("HOME", System.getProperty("user.home")));
        Path configDir = dir(env, "FLOX_CONFIG_DIR", "XDG_CONFIG_HOME", home.resolve(".config"));
        Path cacheDir = dir(env, "FLOX_CACHE_DIR", "XDG_CACHE_HOME", home.resolve(".cache"));
        Path dataDir = dir(env, "FLOX_DATA_DIR", "XDG_DATA_HOME", home.resolve(".local/share"));
        Map<String, String> file = readFile(configDir.resolve(FILE_NAME));
        String url = firstNonBlank(env.get("FLOX_FLOXHUB_URL"), file.get("floxhub_url"), DEFAULT_HUB_URL);
        while (url.endsWith("/")) {
            url = url.substring(0, url.length() - 1);
        }
        String token = null;
        String source = null;
        if (notBlank(env.get("FLOX_FLOXHUB_TOKEN"))) {
            token = env.get("FLOX_FLOXHUB_TOKEN").strip();
            source = "FLOX_FLOXHUB_TOKEN";
        } else if (notBlank(file.get("floxhub_token"))) {
            token = file.get("floxhub_token").strip();
            source = configDir.resolve(FILE_NAME).toString();
        }
        boolean noMetrics = truthy(env.get("FLOX_DISABLE_METRICS")) || truthy(file.get("disable_metrics"));
        return new Config(url, token, source, configDir, cacheDir, dataDir, noMetrics, Map.copyOf(env));
    }

    /** {@code env[variable]}, else {@code key} of {@code flox.toml}; null when neither is set. */
    public static String setting(Config c, String variable, String key) {
        return firstNonBlank(c.env().get(variable), readFile(c.file()).get(key));
    }

    private static Path dir(Map<String, String> env, String flox, String xdg, Path fallbackBase) {
        if (notBlank(env.get(flox))) {
            return Path.of(env.get(flox));
        }
        Path base = notBlank(env.get(xdg)) ? Path.of(env.get(xdg)) : fallbackBase;
        return base.resolve("flox");
    }

    private static boolean truthy(String s) {
        return s != null && !s.isBlank() && !s.equals("0") && !s.equalsIgnoreCase("false");
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) {
            if (notBlank(v)) {
                return v.strip();
            }
        }
        return null;
    }

    static Map<String, String> readFile(Path file) {
        Map<String, String> result = new LinkedHashMap<>();
        if (!Files.exists(file)) {
            return result;
        }
        JsonNode tree;
        try {
            tree = TOML.readTree(Files.readString(file));
        } catch (JsonProcessingException e) {
            throw NixException.invalid("%s is not valid TOML (line %d): %s; fix or remove the file", file,
                    e.getLocation() == null ? 1 : e.getLocation().getLineNr(), e.getOriginalMessage());
        } catch (IOException e) {
            throw new NixException(NixException.Kind.IO, "cannot read " + file + ": " + e.getMessage(), e);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = tree.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            result.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString());
        }
        return result;
    }

    /** Sets ({@code value} non-null) or removes a key of {@code flox.toml}, keeping the other keys; mode 0600. */
    public void writeKey(String key, String value) {
        Path file = configDir.resolve(FILE_NAME);
        try {
            ObjectNode tree = Files.exists(file) ? (ObjectNode) TOML.readTree(Files.readString(file))
                    : TOML.createObjectNode();
            if (value == null) {
                tree.remove(key);
            } else {
                tree.put(key, value);
            }
            Files.createDirectories(configDir);
            Path tmp = Files.createTempFile(configDir, ".flox-", ".toml",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, TOML.writeValueAsString(tree));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new NixException(NixException.Kind.IO, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The file the token is kept in by {@code flox auth login}. */
    public Path file() {
        return configDir.resolve(FILE_NAME);
    }
}
