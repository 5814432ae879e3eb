package org.imageless.environment.manifest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.SequencedMap;
import java.util.function.ToIntFunction;
import org.imageless.environment.EnvironmentFormatException;

/**
 * A Flox {@code manifest.toml}, validated against Flox's schema (flox/flox
 * {@code cli/flox-manifest/src/parsed}): every table is {@code deny_unknown_fields} there, so an
 * unknown key here is an error naming file, line and key.
 *
 * <p>{@code [services]}, {@code [build]}, {@code [include]} and {@code [containerize]} are kept as
 * trees: services entries are checked for known keys, the others only for being tables.
 *
 * @param install install id to entry, in document order
 * @param vars    {@code [vars]}, in document order; Flox exports them literally
 */
public record Manifest(ManifestVersion version, SequencedMap<String, InstallEntry> install,
                       SequencedMap<String, String> vars, Hook hook, Profile profile, Options options,
                       JsonNode services, JsonNode build, JsonNode include, JsonNode containerize) {

    /** The systems Flox resolves for (flox_core {@code System}, {@code DEFAULT_SYSTEMS_STR}). */
    public static final List<String> KNOWN_SYSTEMS =
            List.of("aarch64-darwin", "aarch64-linux", "x86_64-darwin", "x86_64-linux");

    public Manifest {
        install = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(install));
        vars = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(vars));
        hook = hook == null ? Hook.NONE : hook;
        profile = profile == null ? Profile.NONE : profile;
        options = options == null ? Options.NONE : options;
    }

    /** {@code [hook]}: {@code on-activate} runs in bash at activation, or {@code null}. */
    public record Hook(String onActivate) {
        public static final Hook NONE = new Hook(null);
    }

    /** {@code [profile]}: scripts sourced by the user's shell; each {@code null} when absent. */
    public record Profile(String common, String bash, String zsh, String fish, String tcsh) {
        public static final Profile NONE = new Profile(null, null, null, null, null);
    }

    /**
     * {@code [options]}; each {@code null} when absent.
     *
     * @param activateMode {@code activate.mode}: {@code "dev"} or {@code "run"}
     */
    public record Options(List<String> systems, Boolean allowUnfree, Boolean allowBroken,
                          List<String> allowLicenses, Boolean allowPreReleases, Boolean cudaDetection,
                          String activateMode) {
        public static final Options NONE = new Options(null, null, null, null, null, null, null);

        public Options {
            systems = systems == null ? null : List.copyOf(systems);
            allowLicenses = allowLicenses == null ? null : List.copyOf(allowLicenses);
        }
    }

    /** The systems packages are resolved for: {@code options.systems}, else all {@link #KNOWN_SYSTEMS}. */
    public List<String> systems() {
        return options.systems() == null ? KNOWN_SYSTEMS : options.systems();
    }

    /** Whether activation must run a hook script ({@code hook.on-activate} present and not blank). */
    public boolean hasActivationHook() {
        return hook.onActivate() != null && !hook.onActivate().isBlank();
    }

    /**
     * Parses and validates TOML text. {@code fileName} is only used in error messages.
     *
     * @throws EnvironmentFormatException on a TOML syntax error or a schema violation
     */
    public static Manifest parse(String toml, String fileName) {
        JsonNode tree;
        try {
            tree = TOML.readTree(toml);
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 1 : Math.max(1, e.getLocation().getLineNr());
            throw new EnvironmentFormatException(fileName, line, "", "not valid TOML: " + e.getOriginalMessage());
        }
        if (!(tree instanceof ObjectNode object)) {
            throw new EnvironmentFormatException(fileName, 1, "", "not a TOML document");
        }
        TomlLines lines = TomlLines.scan(toml);
        return new ManifestReader(fileName, lines::lineOf).read(object);
    }

    /**
     * Validates a manifest given as a JSON-like tree, as embedded in {@code manifest.lock}.
     * {@code lineOfKey} maps a key path (relative to the manifest) to its line in {@code fileName}.
     */
    public static Manifest fromTree(ObjectNode tree, String fileName, ToIntFunction<List<String>> lineOfKey) {
        return new ManifestReader(fileName, lineOfKey).read(tree);
    }

    /** Top-level keys Flox knows. */
    static final Set<String> TOP_LEVEL = Set.of("version", "schema-version", "minimum-cli-version", "install",
            "vars", "hook", "profile", "options", "services", "build", "include", "containerize");

    private static final TomlMapper TOML = new TomlMapper();
}
