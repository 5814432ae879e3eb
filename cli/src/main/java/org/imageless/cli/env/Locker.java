package org.imageless.cli.env;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.imageless.cli.HubClient;
import org.imageless.environment.lock.Lockfile;
import org.imageless.environment.manifest.InstallEntry;
import org.imageless.environment.manifest.Manifest;
import org.imageless.nix.NixException;

/**
 * Locks a manifest through the hub's catalog ({@code POST /api/v1/catalog/resolve}): entries that
 * are unchanged since the previous lock keep their locked packages (as {@code flox install} does);
 * the others, and everything named in {@code upgrade}, are resolved again.
 */
public final class Locker {

    private static final TomlMapper TOML = new TomlMapper();

    private final HubClient hub;

    public Locker(HubClient hub) {
        this.hub = hub;
    }

    /**
     * @param previous the lock so far, or {@code null}
     * @param upgrade  install ids to resolve again although unchanged; {@code null} means all
     */
    public Lockfile lock(String manifestText, Lockfile previous, Set<String> upgrade) {
        Manifest manifest = Manifest.parse(manifestText, "manifest.toml");
        ObjectNode install = HubClient.object();
        ArrayNode kept = HubClient.JSON.createArrayNode();
        for (Map.Entry<String, InstallEntry> e : manifest.install().entrySet()) {
            String id = e.getKey();
            if (!(e.getValue() instanceof InstallEntry.Catalog c)) {
                throw NixException.invalid("manifest.toml: install.%s is not a catalog package (pkg-path); this flox "
                        + "resolves catalog packages only: replace it with a pkg-path entry", id);
            }
            boolean unchanged = previous != null && upgrade != null && !upgrade.contains(id)
                    && Objects.equals(previous.manifest().install().get(id), c) && hasPackages(previous, id);
            if (unchanged) {
                for (JsonNode p : previous.tree().path("packages")) {
                    if (id.equals(p.path("install_id").asText())) {
                        kept.add(p);
                    }
                }
                continue;
            }
            ObjectNode entry = install.putObject(id);
            entry.put("pkg-path", c.pkgPath());
            if (c.version() != null) {
                entry.put("version", c.version());
            }
            if (c.pkgGroup() != null) {
                entry.put("pkg-group", c.pkgGroup());
            }
            if (c.systems() != null) {
                ArrayNode s = entry.putArray("systems");
                c.systems().forEach(s::add);
            }
            if (c.priority() != null) {
                entry.put("priority", c.priority());
            }
        }
        ArrayNode packages = HubClient.JSON.createArrayNode();
        if (!install.isEmpty()) {
            ObjectNode request = HubClient.object();
            ArrayNode systems = request.putArray("systems");
            manifest.systems().forEach(systems::add);
            request.set("install", install);
            JsonNode resolved = hub.post("/api/v1/catalog/resolve", request);
            packages.addAll((ArrayNode) resolved.path("packages"));
        }
        packages.addAll(kept);
        ObjectNode lock = HubClient.object();
        lock.put("lockfile-version", 1);
        try {
            lock.set("manifest", TOML.readTree(manifestText));
        } catch (JsonProcessingException e) {
            throw NixException.invalid("manifest.toml is not valid TOML: %s", e.getOriginalMessage());
        }
        lock.set("packages", packages);
        return Lockfile.parse(lock.toPrettyString(), "manifest.lock");
    }

    private static boolean hasPackages(Lockfile lock, String id) {
        return lock.packages().stream().anyMatch(p -> p.installId().equals(id));
    }
}
