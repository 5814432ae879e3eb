package org.imageless.environment.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SequencedMap;
import java.util.function.ToIntFunction;
import org.imageless.environment.EnvironmentFormatException;

/** Turns a parsed manifest tree into a {@link Manifest}, reporting the first schema violation. */
final class ManifestReader {

    private static final Set<String> CATALOG_KEYS =
            Set.of("pkg-path", "version", "pkg-group", "systems", "priority", "outputs");
    private static final Set<String> FLAKE_KEYS = Set.of("flake", "systems", "priority", "outputs");
    private static final Set<String> STORE_PATH_KEYS = Set.of("store-path", "systems", "priority");
    private static final Set<String> HOOK_KEYS = Set.of("on-activate");
    private static final Set<String> PROFILE_KEYS = Set.of("common", "bash", "zsh", "fish", "tcsh");
    private static final Set<String> OPTIONS_KEYS = Set.of("systems", "allow", "semver", "cuda-detection", "activate");
    private static final Set<String> ALLOW_KEYS = Set.of("unfree", "broken", "licenses");
    private static final Set<String> SEMVER_KEYS = Set.of("allow-pre-releases");
    private static final Set<String> ACTIVATE_KEYS = Set.of("mode");
    private static final Set<String> SERVICE_KEYS =
            Set.of("command", "vars", "is-daemon", "shutdown", "systemd", "systems");

    private final String file;
    private final ToIntFunction<List<String>> lines;
    private ManifestVersion version = ManifestVersion.V1;

    ManifestReader(String file, ToIntFunction<List<String>> lines) {
        this.file = file;
        this.lines = lines;
    }

    Manifest read(ObjectNode root) {
        checkKeys(root, List.of(), Manifest.TOP_LEVEL);
        version = readVersion(root);
        SequencedMap<String, InstallEntry> install = new LinkedHashMap<>();
        ObjectNode installTable = table(root, List.of("install"));
        if (installTable != null) {
            for (Map.Entry<String, JsonNode> e : installTable.properties()) {
                install.put(e.getKey(), installEntry(e.getValue(), List.of("install", e.getKey())));
            }
        }
        SequencedMap<String, String> vars = new LinkedHashMap<>();
        ObjectNode varsTable = table(root, List.of("vars"));
        if (varsTable != null) {
            for (Map.Entry<String, JsonNode> e : varsTable.properties()) {
                vars.put(e.getKey(), string(e.getValue(), List.of("vars", e.getKey())));
            }
        }
        Manifest.Hook hook = null;
        ObjectNode hookTable = table(root, List.of("hook"));
        if (hookTable != null) {
            checkKeys(hookTable, List.of("hook"), HOOK_KEYS);
            hook = new Manifest.Hook(optionalString(hookTable, List.of("hook", "on-activate")));
        }
        Manifest.Profile profile = null;
        ObjectNode profileTable = table(root, List.of("profile"));
        if (profileTable != null) {
            checkKeys(profileTable, List.of("profile"), PROFILE_KEYS);
            profile = new Manifest.Profile(
                    optionalString(profileTable, List.of("profile", "common")),
                    optionalString(profileTable, List.of("profile", "bash")),
                    optionalString(profileTable, List.of("profile", "zsh")),
                    optionalString(profileTable, List.of("profile", "fish")),
                    optionalString(profileTable, List.of("profile", "tcsh")));
        }
        Manifest.Options options = options(root);
        JsonNode services = services(root);
        JsonNode build = table(root, List.of("build"));
        JsonNode include = table(root, List.of("include"));
        JsonNode containerize = table(root, List.of("containerize"));
        if (options != null && options.systems() != null) {
            for (Map.Entry<String, InstallEntry> e : install.entrySet()) {
                List<String> systems = e.getValue().systems();
                for (String system : systems == null ? List.<String>of() : systems) {
                    if (!options.systems().contains(system)) {
                        List<String> path = List.of("install", e.getKey(), "systems");
                        throw error(path, "system '" + system + "' is not enabled in options.systems "
                                + options.systems());
                    }
                }
            }
        }
        return new Manifest(version, install, vars, hook, profile, options, services, build, include, containerize);
    }

    private ManifestVersion readVersion(ObjectNode root) {
        JsonNode legacy = root.get("version");
        JsonNode schema = root.get("schema-version");
        if (legacy != null && schema != null) {
            throw error(List.of("schema-version"), "a manifest declares either 'version' or 'schema-version', not both");
        }
        if (legacy != null) {
            if (!legacy.isIntegralNumber() || legacy.asLong() != 1) {
                throw error(List.of("version"), "version " + legacy + " is not supported: expected 1 "
                        + "(or schema-version = \"1.N.0\")");
            }
            return ManifestVersion.V1;
        }
        if (schema != null) {
            String text = string(schema, List.of("schema-version"));
            if (ManifestVersion.minorOf(text) < 0) {
                throw error(List.of("schema-version"), "schema-version \"" + text + "\" is not supported: expected \"1.N.0\" with N >= "
                        + ManifestVersion.FIRST_SCHEMA_MINOR);
            }
            if (root.has("minimum-cli-version")) {
                string(root.get("minimum-cli-version"), List.of("minimum-cli-version"));
            }
            return new ManifestVersion(text);
        }
        throw error(List.of(), "no 'version' or 'schema-version': expected version = 1 or schema-version = \"1.N.0\"");
    }

    private InstallEntry installEntry(JsonNode node, List<String> path) {
        if (!(node instanceof ObjectNode entry)) {
            throw error(path, "expected a table with 'pkg-path', 'flake' or 'store-path', got " + describe(node));
        }
        if (entry.has("pkg-path")) {
            checkKeys(entry, path, CATALOG_KEYS);
            String pkgPath = string(entry.get("pkg-path"), child(path, "pkg-path"));
            if (pkgPath.isBlank()) {
                throw error(child(path, "pkg-path"), "is empty");
            }
            String versionConstraint = optionalString(entry, child(path, "version"));
            if (versionConstraint != null) {
                String problem = VersionConstraint.problem(versionConstraint);
                if (problem != null) {
                    throw error(child(path, "version"), problem);
                }
            }
            return new InstallEntry.Catalog(pkgPath, versionConstraint,
                    optionalString(entry, child(path, "pkg-group")), systems(entry, path), priority(entry, path),
                    outputs(entry, path));
        }
        if (entry.has("flake")) {
            checkKeys(entry, path, FLAKE_KEYS);
            return new InstallEntry.Flake(string(entry.get("flake"), child(path, "flake")), systems(entry, path),
                    priority(entry, path), outputs(entry, path));
        }
        if (entry.has("store-path")) {
            checkKeys(entry, path, STORE_PATH_KEYS);
            String storePath = string(entry.get("store-path"), child(path, "store-path"));
            return new InstallEntry.StorePathEntry(storePath, systems(entry, path), priority(entry, path));
        }
        String firstKey = entry.fieldNames().hasNext() ? entry.fieldNames().next() : null;
        throw error(firstKey == null ? path : child(path, firstKey),
                "install entry '" + path.getLast() + "' has no 'pkg-path', 'flake' or 'store-path'");
    }

    private List<String> systems(ObjectNode entry, List<String> path) {
        return systemList(entry.get("systems"), child(path, "systems"));
    }

    private List<String> systemList(JsonNode node, List<String> path) {
        if (node == null) {
            return null;
        }
        List<String> systems = stringList(node, path);
        for (String system : systems) {
            if (!Manifest.KNOWN_SYSTEMS.contains(system)) {
                throw error(path, "unknown system '" + system + "': expected one of " + Manifest.KNOWN_SYSTEMS);
            }
        }
        return systems;
    }

    private Long priority(ObjectNode entry, List<String> path) {
        JsonNode node = entry.get("priority");
        if (node == null) {
            return null;
        }
        if (!node.isIntegralNumber() || node.asLong() < 0 || !node.canConvertToLong()) {
            throw error(child(path, "priority"), "expected a non-negative integer, got " + describe(node));
        }
        return node.asLong();
    }

    private InstallEntry.Outputs outputs(ObjectNode entry, List<String> path) {
        JsonNode node = entry.get("outputs");
        List<String> at = child(path, "outputs");
        if (node == null) {
            return null;
        }
        if (version.legacy()) {
            throw error(at, "'outputs' needs schema-version = \"1.10.0\" or later, this manifest has version = 1");
        }
        if (node.isTextual()) {
            if (!node.asText().equals("all")) {
                throw error(at, "expected \"all\" or a list of output names, got \"" + node.asText() + "\"");
            }
            return InstallEntry.Outputs.allOutputs();
        }
        List<String> names = stringList(node, at);
        if (names.isEmpty()) {
            throw error(at, "the list of outputs is empty");
        }
        return InstallEntry.Outputs.of(names);
    }

    private Manifest.Options options(ObjectNode root) {
        ObjectNode t = table(root, List.of("options"));
        if (t == null) {
            return null;
        }
        List<String> base = List.of("options");
        checkKeys(t, base, OPTIONS_KEYS);
        List<String> systems = systemList(t.get("systems"), child(base, "systems"));
        Boolean unfree = null;
        Boolean broken = null;
        List<String> licenses = null;
        ObjectNode allow = table(t, child(base, "allow"));
        if (allow != null) {
            List<String> at = child(base, "allow");
            checkKeys(allow, at, ALLOW_KEYS);
            unfree = optionalBoolean(allow, child(at, "unfree"));
            broken = optionalBoolean(allow, child(at, "broken"));
            licenses = allow.has("licenses") ? stringList(allow.get("licenses"), child(at, "licenses")) : null;
        }
        Boolean preReleases = null;
        ObjectNode semver = table(t, child(base, "semver"));
        if (semver != null) {
            checkKeys(semver, child(base, "semver"), SEMVER_KEYS);
            preReleases = optionalBoolean(semver, List.of("options", "semver", "allow-pre-releases"));
        }
        Boolean cuda = optionalBoolean(t, child(base, "cuda-detection"));
        String mode = null;
        ObjectNode activate = table(t, child(base, "activate"));
        if (activate != null) {
            checkKeys(activate, child(base, "activate"), ACTIVATE_KEYS);
            List<String> at = List.of("options", "activate", "mode");
            mode = optionalString(activate, at);
            if (mode != null && !mode.equals("dev") && !mode.equals("run")) {
                throw error(at, "expected \"dev\" or \"run\", got \"" + mode + "\"");
            }
        }
        return new Manifest.Options(systems, unfree, broken, licenses, preReleases, cuda, mode);
    }

    private JsonNode services(ObjectNode root) {
        ObjectNode services = table(root, List.of("services"));
        if (services == null) {
            return null;
        }
        for (Map.Entry<String, JsonNode> e : services.properties()) {
            List<String> path = List.of("services", e.getKey());
            if (!(e.getValue() instanceof ObjectNode service)) {
                throw error(path, "expected a table with 'command', got " + describe(e.getValue()));
            }
            checkKeys(service, path, SERVICE_KEYS);
            if (!service.has("command")) {
                throw error(path, "service '" + e.getKey() + "' has no 'command'");
            }
            string(service.get("command"), child(path, "command"));
            systemList(service.get("systems"), child(path, "systems"));
        }
        return services;
    }

    // -- helpers

    private ObjectNode table(ObjectNode parent, List<String> path) {
        JsonNode node = parent.get(path.getLast());
        if (node == null) {
            return null;
        }
        if (!(node instanceof ObjectNode object)) {
            throw error(path, "expected a table, got " + describe(node));
        }
        return object;
    }

    private void checkKeys(ObjectNode node, List<String> path, Set<String> allowed) {
        for (java.util.Iterator<String> keys = node.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!allowed.contains(key)) {
                String where = path.isEmpty() ? "at the top level" : "in " + dotted(path);
                throw error(child(path, key), "unknown key " + where + ": expected one of "
                        + allowed.stream().sorted().toList());
            }
        }
    }

    private String string(JsonNode node, List<String> path) {
        if (!node.isTextual()) {
            throw error(path, "expected a string, got " + describe(node));
        }
        return node.asText();
    }

    private String optionalString(ObjectNode parent, List<String> path) {
        JsonNode node = parent.get(path.getLast());
        return node == null || node.isNull() ? null : string(node, path);
    }

    private Boolean optionalBoolean(ObjectNode parent, List<String> path) {
        JsonNode node = parent.get(path.getLast());
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isBoolean()) {
            throw error(path, "expected true or false, got " + describe(node));
        }
        return node.asBoolean();
    }

    private List<String> stringList(JsonNode node, List<String> path) {
        if (!node.isArray()) {
            throw error(path, "expected a list of strings, got " + describe(node));
        }
        List<String> result = new ArrayList<>();
        for (JsonNode item : node) {
            result.add(string(item, path));
        }
        return result;
    }

    private static List<String> child(List<String> path, String key) {
        List<String> result = new ArrayList<>(path);
        result.add(key);
        return List.copyOf(result);
    }

    static String describe(JsonNode node) {
        return switch (node.getNodeType()) {
            case STRING -> "the string \"" + node.asText() + "\"";
            case NUMBER -> "the number " + node;
            case BOOLEAN -> "the boolean " + node;
            case ARRAY -> "a list";
            case OBJECT -> "a table";
            case NULL -> "null";
            default -> node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        };
    }

    static String dotted(List<String> path) {
        StringBuilder b = new StringBuilder();
        for (String part : path) {
            if (!b.isEmpty()) {
                b.append('.');
            }
            b.append(TomlLines.isBareKey(part) ? part : "\"" + part.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
        }
        return b.toString();
    }

    private EnvironmentFormatException error(List<String> path, String problem) {
        return new EnvironmentFormatException(file, lines.applyAsInt(path), dotted(path), problem);
    }
}
