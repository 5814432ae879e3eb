package org.imageless.hub.catalog;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import org.imageless.environment.lock.LockedPackage;
import org.imageless.environment.manifest.InstallEntry;
import org.imageless.environment.manifest.VersionConstraint;
import org.imageless.hub.HubException;
import org.imageless.hub.auth.Principal;

/**
 * Resolves a manifest's catalog install entries into Flox lock entries, per system: for each install
 * id, the highest version ({@link Catalog#ORDER}) that satisfies its {@code version} constraint
 * ({@link VersionConstraint}, the manifest's own syntax) and has outputs for the system.
 *
 * <p>The lock entry has Flox's catalog fields in Flox's order. Fields that describe a nixpkgs
 * evaluation get values that describe the catalog version instead:
 * <ul>
 *   <li>{@code attr_path}: the pkg-path as written, {@code owner/name}; {@code pname}: the name;
 *       {@code name}: {@code pname-version}</li>
 *   <li>{@code locked_url}: the version's REST URL on this hub
 *       ({@code <public-url>/api/v1/catalog/<owner>/packages/<name>/versions/<version>})</li>
 *   <li>{@code rev}: SHA-1 (hex) of {@code owner/name@version}, a stable 40-hex id of the
 *       immutable version; {@code rev_count}: its publication number in the package (1, 2, …)</li>
 *   <li>{@code rev_date} and {@code scrape_date}: the publication time (UTC, seconds)</li>
 *   <li>{@code derivation}: {@code ""} (publishing takes outputs, not a derivation);
 *       {@code stabilities}: {@code ["stable"]}</li>
 * </ul>
 */
public final class Resolver {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Catalog catalog;
    private final URI publicUrl;

    public Resolver(Catalog catalog, URI publicUrl) {
        this.catalog = catalog;
        this.publicUrl = publicUrl;
    }

    /** One resolved package for one system: typed, and as the JSON object {@code manifest.lock} holds. */
    public record Locked(LockedPackage.Catalog lockedPackage, ObjectNode lockEntry) {}

    /** Why an install id could not be resolved (for a system, or {@code null} for all of them). */
    public record Failure(String installId, String pkgPath, String system, HubException.Kind kind, String message) {}

    /** Lock entries in install-id order then system order; failures, if any, per entry. */
    public record Resolution(List<Locked> packages, List<Failure> failures) {
        public Resolution {
            packages = List.copyOf(packages);
            failures = List.copyOf(failures);
        }
    }

    /**
     * Resolves {@code install} for {@code systems} (an entry's own {@code systems}, if set, restricts
     * it to those of them) as {@code principal} sees the catalog.
     */
    public Resolution resolve(Principal principal, SequencedMap<String, InstallEntry.Catalog> install, List<String> systems) {
        if (systems.isEmpty()) {
            throw HubException.invalid("no systems to resolve for: send e.g. \"systems\": [\"x86_64-linux\"]");
        }
        List<Locked> locked = new ArrayList<>();
        List<Failure> failures = new ArrayList<>();
        for (Map.Entry<String, InstallEntry.Catalog> e : install.entrySet()) {
            String id = e.getKey();
            InstallEntry.Catalog entry = e.getValue();
            PkgPath pkgPath;
            try {
                pkgPath = PkgPath.parse(entry.pkgPath());
            } catch (HubException bad) {
                String message = bad.getMessage();
                if (entry.pkgPath() != null && !entry.pkgPath().contains("/")) {
                    message = catalog.notFoundMessage(entry.pkgPath(), principal)
                            + " (catalog packages are written owner/name)";
                }
                failures.add(new Failure(id, entry.pkgPath(), null, HubException.Kind.NOT_FOUND, message));
                continue;
            }
            CatalogPackage pkg;
            try {
                pkg = catalog.show(principal, pkgPath);
            } catch (HubException notFound) {
                failures.add(new Failure(id, entry.pkgPath(), null, notFound.kind(), notFound.getMessage()));
                continue;
            }
            VersionConstraint constraint;
            try {
                constraint = entry.version() == null ? null : VersionConstraint.parse(entry.version());
            } catch (IllegalArgumentException bad) {
                failures.add(new Failure(id, entry.pkgPath(), null, HubException.Kind.INVALID,
                        "'" + id + "': " + bad.getMessage()));
                continue;
            }
            List<PackageVersion> matching = pkg.versions().stream()
                    .filter(v -> constraint == null || constraint.matches(v.version())).toList();
            if (matching.isEmpty()) {
                failures.add(new Failure(id, entry.pkgPath(), null, HubException.Kind.NOT_FOUND,
                        "no version of %s matches '%s': available %s".formatted(pkgPath, entry.version(),
                                Catalog.available(pkg.versions()))));
                continue;
            }
            List<String> wanted = entry.systems() == null ? systems
                    : systems.stream().filter(entry.systems()::contains).toList();
            for (String system : wanted) {
                List<PackageVersion> forSystem = matching.stream().filter(v -> v.systems().containsKey(system)).toList();
                if (forSystem.isEmpty()) {
                    List<String> has = matching.stream().flatMap(v -> v.systems().keySet().stream()).distinct().sorted().toList();
                    failures.add(new Failure(id, entry.pkgPath(), system, HubException.Kind.NOT_FOUND,
                            "%s%s has no outputs for %s: it has %s".formatted(pkgPath,
                                    entry.version() == null ? "" : " '" + entry.version() + "'", system, String.join(", ", has))));
                    continue;
                }
                locked.add(lock(id, entry, Catalog.highest(forSystem), system));
            }
        }
        return new Resolution(locked, failures);
    }

    private Locked lock(String installId, InstallEntry.Catalog entry, PackageVersion v, String system) {
        SystemOutputs outputs = v.systems().get(system);
        long priority = entry.priority() == null ? InstallEntry.DEFAULT_PRIORITY : entry.priority();
        String pkgPath = v.pkgPath().toString();
        String date = v.publishedAt().truncatedTo(ChronoUnit.SECONDS).toString();
        ObjectNode o = JSON.createObjectNode();
        o.put("attr_path", pkgPath);
        o.put("broken", v.broken());
        o.put("derivation", "");
        o.put("description", v.description());
        o.put("install_id", installId);
        o.put("license", v.license());
        o.put("locked_url", lockedUrl(v));
        o.put("name", v.pkgPath().name() + "-" + v.version());
        o.put("pname", v.pkgPath().name());
        o.put("rev", rev(v));
        o.put("rev_count", v.seq());
        o.put("rev_date", date);
        o.put("scrape_date", date);
        o.putArray("stabilities").add("stable");
        o.put("unfree", v.unfree());
        o.put("version", v.version());
        ArrayNode toInstall = o.putArray("outputs_to_install");
        outputs.outputsToInstall().forEach(toInstall::add);
        ObjectNode outs = o.putObject("outputs");
        outputs.outputs().forEach((name, path) -> outs.put(name, path.toString()));
        o.put("system", system);
        o.put("group", entry.group());
        o.put("priority", priority);
        LockedPackage.Catalog typed = new LockedPackage.Catalog(installId, system, pkgPath, v.pkgPath().name(),
                v.version(), entry.group(), priority, outputs.outputs(), outputs.outputsToInstall());
        return new Locked(typed, o);
    }

    private String lockedUrl(PackageVersion v) {
        return publicUrl.toString().replaceAll("/+$", "") + "/api/v1/catalog/" + v.pkgPath().owner() + "/packages/"
                + v.pkgPath().name() + "/versions/" + v.version();
    }

    static String rev(PackageVersion v) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1")
                    .digest((v.pkgPath() + "@" + v.version()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
