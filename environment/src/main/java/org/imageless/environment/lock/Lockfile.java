package org.imageless.environment.lock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.SequencedSet;
import java.util.SortedSet;
import java.util.TreeSet;
import org.imageless.environment.EnvironmentFormatException;
import org.imageless.environment.FloxJson;
import org.imageless.environment.JsonLines;
import org.imageless.environment.manifest.InstallEntry;
import org.imageless.environment.manifest.Manifest;
import org.imageless.nix.store.StorePath;

/**
 * A Flox {@code manifest.lock} ({@code lockfile-version: 1}): the manifest that was locked and its
 * packages resolved per system (flox/flox {@code cli/flox-manifest/src/lockfile/mod.rs}).
 *
 * <p>Strictness: unknown top-level keys are an error (Flox itself would ignore them: its
 * {@code Lockfile} struct does not deny unknown fields, but a key we do not know at the top level
 * means a format we do not understand). Inside package entries we are as lenient as Flox: unknown
 * keys are kept and ignored, missing required keys and values of the wrong type are errors. The
 * embedded manifest is validated like {@code manifest.toml}.
 *
 * @param tree the document as read; {@link #format()} writes it back, so unknown package keys and
 *             key order survive a round trip
 */
public record Lockfile(Manifest manifest, List<LockedPackage> packages, ObjectNode tree) {

    public static final String FILE_NAME = "manifest.lock";
    private static final List<String> TOP_LEVEL = List.of("lockfile-version", "manifest", "packages", "compose");

    public Lockfile {
        packages = List.copyOf(packages);
        tree = tree.deepCopy();
    }

    /** Parses {@code manifest.lock} text; {@code fileName} is used in errors. */
    public static Lockfile parse(String json, String fileName) {
        JsonNode root = FloxJson.read(json, fileName);
        if (!(root instanceof ObjectNode object)) {
            throw new EnvironmentFormatException(fileName, 1, "", "expected a JSON object");
        }
        return new LockReader(fileName, JsonLines.index(json)).read(object);
    }

    /** The lock as Flox writes it: {@code serde_json::to_string_pretty} plus a final newline. */
    public String format() {
        return FloxJson.pretty(tree) + "\n";
    }

    /** Packages resolved for {@code system}, in lock order. */
    public List<LockedPackage> packages(String system) {
        return packages.stream().filter(p -> p.system().equals(system)).toList();
    }

    /** Every output store path of every package for {@code system}: the roots the node must realise. */
    public SortedSet<StorePath> storePaths(String system) {
        SortedSet<StorePath> result = new TreeSet<>();
        for (LockedPackage p : packages(system)) {
            switch (p) {
                case LockedPackage.Catalog c -> result.addAll(c.outputs().values());
                case LockedPackage.Flake f -> result.addAll(f.outputs().values());
                case LockedPackage.StorePathPackage s -> result.add(s.storePath());
            }
        }
        return result;
    }

    /**
     * The store paths that go into the environment view for {@code system}, in lock order without
     * duplicates. Per package: the manifest's {@code outputs} ({@code "all"} or a list) if set, else
     * the lock's {@code outputs_to_install} (flake: requested, then package-defined), else all outputs.
     */
    public SequencedSet<StorePath> storePathsToInstall(String system) {
        SequencedSet<StorePath> result = new LinkedHashSet<>();
        for (LockedPackage p : packages(system)) {
            switch (p) {
                case LockedPackage.Catalog c -> {
                    InstallEntry.Outputs selected = manifest.install().get(c.installId()) instanceof InstallEntry.Catalog e
                            ? e.outputs() : null;
                    result.addAll(select(c.installId(), c.outputs(), selected, c.outputsToInstall()));
                }
                case LockedPackage.Flake f -> {
                    InstallEntry.Outputs selected = manifest.install().get(f.installId()) instanceof InstallEntry.Flake e
                            ? e.outputs() : null;
                    List<String> defaults = f.requestedOutputsToInstall() != null
                            ? f.requestedOutputsToInstall() : f.outputsToInstall();
                    result.addAll(select(f.installId(), f.outputs(), selected, defaults));
                }
                case LockedPackage.StorePathPackage s -> result.add(s.storePath());
            }
        }
        return result;
    }

    private static List<StorePath> select(String installId, java.util.SequencedMap<String, StorePath> outputs,
                                          InstallEntry.Outputs selected, List<String> defaults) {
        if (selected != null && selected.all()) {
            return List.copyOf(outputs.values());
        }
        List<String> names = selected != null ? selected.names() : defaults;
        if (names == null) {
            return List.copyOf(outputs.values());
        }
        List<StorePath> result = new ArrayList<>();
        for (String name : new LinkedHashSet<>(names)) {
            StorePath path = outputs.get(name);
            if (path == null) {
                throw org.imageless.nix.NixException.corrupt(
                        "lock of '%s' has no output '%s' to install: it has %s", installId, name, outputs.keySet());
            }
            result.add(path);
        }
        return result;
    }

    static List<String> topLevelKeys() {
        return TOP_LEVEL;
    }
}
