package org.imageless.environment.lock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import org.imageless.environment.EnvironmentFormatException;
import org.imageless.environment.JsonLines;
import org.imageless.environment.manifest.Manifest;
import org.imageless.nix.NixException;
import org.imageless.nix.store.StorePath;

/** Reads a parsed lock tree, reporting the first problem with file, line and JSON path. */
final class LockReader {

    private final String file;
    private final JsonLines lines;

    LockReader(String file, JsonLines lines) {
        this.file = file;
        this.lines = lines;
    }

    Lockfile read(ObjectNode root) {
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!Lockfile.topLevelKeys().contains(key)) {
                throw error(List.of(key), "unknown top-level key: expected " + Lockfile.topLevelKeys());
            }
        }
        JsonNode version = required(root, List.of(), "lockfile-version");
        if (!version.isIntegralNumber() || version.asLong() != 1) {
            throw error(List.of("lockfile-version"), "lockfile-version " + version + " is not supported: expected 1");
        }
        JsonNode manifestNode = required(root, List.of(), "manifest");
        if (!(manifestNode instanceof ObjectNode manifestObject)) {
            throw error(List.of("manifest"), "expected an object");
        }
        Manifest manifest = Manifest.fromTree(manifestObject, file, path -> {
            List<String> full = new ArrayList<>();
            full.add("manifest");
            full.addAll(path);
            return lines.lineOf(full);
        });
        JsonNode packagesNode = required(root, List.of(), "packages");
        if (!packagesNode.isArray()) {
            throw error(List.of("packages"), "expected a list");
        }
        List<LockedPackage> packages = new ArrayList<>();
        for (int i = 0; i < packagesNode.size(); i++) {
            List<String> path = List.of("packages", Integer.toString(i));
            if (!(packagesNode.get(i) instanceof ObjectNode entry)) {
                throw error(path, "expected an object");
            }
            packages.add(lockedPackage(entry, path));
        }
        return new Lockfile(manifest, packages, root);
    }

    private LockedPackage lockedPackage(ObjectNode e, List<String> path) {
        if (e.has("attr_path")) {
            for (String key : List.of("derivation", "locked_url", "name", "rev", "rev_date", "scrape_date")) {
                text(e, path, key);
            }
            if (!required(e, path, "rev_count").isIntegralNumber()) {
                throw error(child(path, "rev_count"), "expected an integer");
            }
            return new LockedPackage.Catalog(text(e, path, "install_id"), text(e, path, "system"),
                    text(e, path, "attr_path"), text(e, path, "pname"), text(e, path, "version"),
                    text(e, path, "group"), priority(e, path, "priority", false), outputs(e, path, "outputs"),
                    optionalList(e, path, "outputs_to_install"));
        }
        if (e.has("locked-flake-attr-path") || e.has("locked-url")) {
            for (String key : List.of("locked-flake-attr-path", "derivation", "package-system", "name")) {
                text(e, path, key);
            }
            return new LockedPackage.Flake(text(e, path, "install_id"), text(e, path, "system"),
                    text(e, path, "locked-url"), outputs(e, path, "outputs"),
                    optionalList(e, path, "outputs-to-install"),
                    optionalList(e, path, "requested-outputs-to-install"), priority(e, path, "priority", true));
        }
        if (e.has("store_path")) {
            return new LockedPackage.StorePathPackage(text(e, path, "install_id"), text(e, path, "system"),
                    storePath(e.get("store_path"), child(path, "store_path")), priority(e, path, "priority", false));
        }
        throw error(path, "not a catalog package (attr_path), flake package (locked-url) or store path (store_path)");
    }

    private SequencedMap<String, StorePath> outputs(ObjectNode e, List<String> path, String key) {
        JsonNode node = required(e, path, key);
        if (!node.isObject()) {
            throw error(child(path, key), "expected an object of output name to store path");
        }
        SequencedMap<String, StorePath> outputs = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> output = it.next();
            outputs.put(output.getKey(), storePath(output.getValue(), child(child(path, key), output.getKey())));
        }
        return outputs;
    }

    private StorePath storePath(JsonNode node, List<String> path) {
        if (!node.isTextual()) {
            throw error(path, "expected a store path string");
        }
        try {
            return StorePath.parse(node.asText());
        } catch (NixException ex) {
            throw error(path, ex.getMessage());
        }
    }

    private long priority(ObjectNode e, List<String> path, String key, boolean defaulted) {
        JsonNode node = defaulted ? e.get(key) : required(e, path, key);
        if (node == null || node.isNull()) {
            return 5;
        }
        if (!node.isIntegralNumber() || node.asLong() < 0) {
            throw error(child(path, key), "expected a non-negative integer");
        }
        return node.asLong();
    }

    private List<String> optionalList(ObjectNode e, List<String> path, String key) {
        JsonNode node = e.get(key);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isArray()) {
            throw error(child(path, key), "expected a list of strings");
        }
        List<String> result = new ArrayList<>();
        for (JsonNode item : node) {
            if (!item.isTextual()) {
                throw error(child(path, key), "expected a list of strings");
            }
            result.add(item.asText());
        }
        return List.copyOf(result);
    }

    private String text(ObjectNode e, List<String> path, String key) {
        JsonNode node = required(e, path, key);
        if (!node.isTextual()) {
            throw error(child(path, key), "expected a string");
        }
        return node.asText();
    }

    private JsonNode required(ObjectNode e, List<String> path, String key) {
        JsonNode node = e.get(key);
        if (node == null) {
            throw error(path, "missing required key '" + key + "'");
        }
        return node;
    }

    private static List<String> child(List<String> path, String key) {
        List<String> result = new ArrayList<>(path);
        result.add(key);
        return List.copyOf(result);
    }

    private EnvironmentFormatException error(List<String> path, String problem) {
        return new EnvironmentFormatException(file, lines.lineOf(path), display(path), problem);
    }

    private static String display(List<String> path) {
        StringBuilder b = new StringBuilder();
        for (String part : path) {
            if (part.matches("[0-9]+")) {
                b.append('[').append(part).append(']');
            } else {
                if (!b.isEmpty()) {
                    b.append('.');
                }
                b.append(part);
            }
        }
        return b.toString();
    }
}
