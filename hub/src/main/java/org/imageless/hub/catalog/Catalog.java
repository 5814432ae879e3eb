package org.imageless.hub.catalog;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SequencedMap;
import java.util.TreeMap;
import org.imageless.environment.manifest.SemanticVersion;
import org.imageless.hub.Hub;
import org.imageless.hub.HubException;
import org.imageless.hub.auth.Access;
import org.imageless.hub.auth.Principal;
import org.imageless.hub.auth.Visibility;
import org.imageless.hub.cache.VisibleRoots;
import org.imageless.hub.cache.CacheStorage;
import org.imageless.hub.db.Constraints;
import org.imageless.nix.NixException;
import org.imageless.nix.store.StorePath;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The hub's package catalog: each owner's packages ({@link PkgPath} {@code owner/name}), their
 * immutable versions and per-system outputs, stored in the database ({@code V3__catalog.sql}).
 *
 * <p>Visibility follows the owner's namespace: a package is public (anyone reads it) unless a writer
 * of its owner makes it private (members of the owner only). A package the caller may not read is
 * answered exactly as an absent one ("not found"), so private names cannot be probed.
 *
 * <p>Publishing requires every output store path to be in the hub's binary cache with its whole
 * closure ({@link CacheStorage#contains}), uploaded by anyone; the publisher is recorded. What this
 * does not check: that the publisher could read every path of the closure before. A writer who knows
 * the store path of someone's private upload could publish a package referencing it and so make it
 * readable; the recorded publisher is the audit trail for that. (Tracking who uploaded each path
 * would close it; the cache does not record uploaders yet.)
 *
 * <p>{@link #readableRoots} feeds the binary cache's read rule: the outputs of every package version
 * the principal may read. It is answered from a snapshot in memory ({@link org.imageless.hub.db.ReplicaSnapshot}),
 * loaded again at once after each publish or visibility change in this process and in the background
 * when older than {@value #SNAPSHOT_SECONDS} seconds (for changes made by another replica on the same PostgreSQL).
 */
public final class Catalog {

    static final int SNAPSHOT_SECONDS = 5;

    private final Hub hub;
    private final Jdbi jdbi;
    private final Access access;
    private final CacheStorage storage;
    /** Moves on with each publish or visibility change in this process: the roots are loaded again at once. */
    private final java.util.concurrent.atomic.AtomicLong changes = new java.util.concurrent.atomic.AtomicLong();
    private final org.imageless.hub.db.ReplicaSnapshot<VisibleRoots> roots = new org.imageless.hub.db.ReplicaSnapshot<>(
            java.time.Duration.ofSeconds(SNAPSHOT_SECONDS), changes::get, v -> loadRoots());
    private volatile java.util.function.BiPredicate<Principal, StorePath> mayReference = (p, path) -> true;

    public Catalog(Hub hub, CacheStorage storage) {
        this.hub = hub;
        this.jdbi = hub.database().jdbi();
        this.access = hub.access();
        this.storage = storage;
    }

    /**
     * Refuses to publish outputs the publisher may not reference (the binary cache's rule, see
     * {@code CacheAccess.canReference}): set once by the server when the cache exists.
     */
    public void protectWith(java.util.function.BiPredicate<Principal, StorePath> mayReference) {
        this.mayReference = mayReference;
    }

    // ---------------------------------------------------------------- publish

    /**
     * Publishes {@code publication} as a new version of {@code pkgPath} (created, public, on its
     * first version). The caller must be a writer of the owner; versions are immutable (CONFLICT).
     */
    public PackageVersion publish(Principal publisher, PkgPath pkgPath, Publication publication) {
        access.checkWrite(publisher, pkgPath.owner());
        for (Map.Entry<String, SystemOutputs> system : publication.systems().entrySet()) {
            for (Map.Entry<String, StorePath> output : system.getValue().outputs().entrySet()) {
                StorePath path = output.getValue();
                if (!mayReference.test(publisher, path)) {
                    throw HubException.forbidden("%s (output '%s' for %s) belongs to something you may not read "
                            + "(a private environment or package): publish only store paths you may read", path,
                            output.getKey(), system.getKey());
                }
                if (!storage.contains(path)) {
                    throw HubException.invalid("%s (output '%s' for %s) is not in the hub's binary cache with its whole "
                                    + "closure: upload it first with 'nix copy --to %s/cache %s'", path, output.getKey(),
                            system.getKey(), hub.publicUrl().toString().replaceAll("/+$", ""), path);
                }
            }
        }
        long now = hub.clock().millis();
        try {
            PackageVersion published = jdbi.inTransaction(h -> {
                int created = h.createUpdate("""
                                INSERT INTO catalog_packages (owner, name, visibility, created_at)
                                SELECT :o, :n, 'public', :t WHERE NOT EXISTS
                                  (SELECT 1 FROM catalog_packages WHERE owner = :o AND name = :n)""")
                        .bind("o", pkgPath.owner()).bind("n", pkgPath.name()).bind("t", now).execute();
                if (created == 0 && h.createQuery("SELECT COUNT(*) FROM catalog_versions WHERE owner = :o AND name = :n AND version = :v")
                        .bind("o", pkgPath.owner()).bind("n", pkgPath.name()).bind("v", publication.version())
                        .mapTo(Long.class).one() > 0) {
                    throw alreadyPublished(pkgPath, publication.version());
                }
                long seq = h.createQuery("SELECT COALESCE(MAX(seq), 0) + 1 FROM catalog_versions WHERE owner = :o AND name = :n")
                        .bind("o", pkgPath.owner()).bind("n", pkgPath.name()).mapTo(Long.class).one();
                h.createUpdate("""
                                INSERT INTO catalog_versions (owner, name, version, seq, description, license, unfree,
                                  broken, published_at, publisher)
                                VALUES (:o, :n, :v, :s, :d, :l, :u, :b, :t, :p)""")
                        .bind("o", pkgPath.owner()).bind("n", pkgPath.name()).bind("v", publication.version())
                        .bind("s", seq).bind("d", publication.description()).bind("l", publication.license())
                        .bind("u", publication.unfree()).bind("b", publication.broken()).bind("t", now)
                        .bind("p", publisher.name()).execute();
                for (Map.Entry<String, SystemOutputs> system : publication.systems().entrySet()) {
                    h.createUpdate("""
                                    INSERT INTO catalog_systems (owner, name, version, system, outputs_to_install)
                                    VALUES (:o, :n, :v, :s, :i)""")
                            .bind("o", pkgPath.owner()).bind("n", pkgPath.name()).bind("v", publication.version())
                            .bind("s", system.getKey()).bind("i", String.join(",", system.getValue().outputsToInstall()))
                            .execute();
                    for (Map.Entry<String, StorePath> output : system.getValue().outputs().entrySet()) {
                        h.createUpdate("""
                                        INSERT INTO catalog_outputs (owner, name, version, system, output, store_path)
                                        VALUES (:o, :n, :v, :s, :out, :p)""")
                                .bind("o", pkgPath.owner()).bind("n", pkgPath.name()).bind("v", publication.version())
                                .bind("s", system.getKey()).bind("out", output.getKey())
                                .bind("p", output.getValue().toString()).execute();
                    }
                }
                return new PackageVersion(pkgPath, publication.version(), seq, publication.description(),
                        publication.license(), publication.unfree(), publication.broken(), Instant.ofEpochMilli(now),
                        publisher.name(), publication.systems());
            });
            changes.incrementAndGet();
            return published;
        } catch (RuntimeException e) {
            if (!(e instanceof HubException) && Constraints.violated(e)) {
                // a concurrent publish of the same package won the race for the same row
                boolean exists = jdbi.withHandle(h -> h.createQuery(
                                "SELECT COUNT(*) FROM catalog_versions WHERE owner = :o AND name = :n AND version = :v")
                        .bind("o", pkgPath.owner()).bind("n", pkgPath.name()).bind("v", publication.version())
                        .mapTo(Long.class).one() > 0);
                if (exists) {
                    throw alreadyPublished(pkgPath, publication.version());
                }
                throw HubException.conflict("another version of %s was published at the same moment: publish again", pkgPath);
            }
            throw e;
        }
    }

    private static HubException alreadyPublished(PkgPath pkgPath, String version) {
        return HubException.conflict("%s %s is already published and versions are immutable: publish a new version",
                pkgPath, version);
    }

    /** Makes a package public or private; the caller must be a writer of its owner. */
    public void setVisibility(Principal principal, PkgPath pkgPath, Visibility visibility) {
        Optional<Visibility> current = visibility(pkgPath);
        if (current.isEmpty() || !access.canRead(principal, pkgPath.owner(), current.get())) {
            throw notFound(pkgPath, principal);
        }
        access.checkWrite(principal, pkgPath.owner());
        jdbi.useHandle(h -> h.createUpdate("UPDATE catalog_packages SET visibility = :v WHERE owner = :o AND name = :n")
                .bind("v", visibility.label()).bind("o", pkgPath.owner()).bind("n", pkgPath.name()).execute());
        changes.incrementAndGet();
    }

    // ---------------------------------------------------------------- read

    /** The package with its versions (newest first), if the caller may read it; else NOT_FOUND. */
    public CatalogPackage show(Principal principal, PkgPath pkgPath) {
        Optional<Visibility> visibility = visibility(pkgPath);
        if (visibility.isEmpty() || !access.canRead(principal, pkgPath.owner(), visibility.get())) {
            throw notFound(pkgPath, principal);
        }
        return new CatalogPackage(pkgPath, visibility.get(), jdbi.withHandle(h -> versions(h, pkgPath)));
    }

    /** One version of a package the caller may read; else NOT_FOUND naming the versions there are. */
    public PackageVersion version(Principal principal, PkgPath pkgPath, String version) {
        CatalogPackage p = show(principal, pkgPath);
        return p.versions().stream().filter(v -> v.version().equals(version)).findFirst()
                .orElseThrow(() -> HubException.notFound("%s has no version '%s': available %s", pkgPath, version,
                        available(p.versions())));
    }

    /** One search hit: a package and the version resolution picks without a constraint. */
    public record Hit(PkgPath pkgPath, Visibility visibility, PackageVersion latest) {}

    /**
     * Packages the caller may read whose owner/name or latest description contains {@code term}
     * (case-insensitive), sorted by pkg-path; at most {@code limit}.
     */
    public List<Hit> search(Principal principal, String term, int limit) {
        String needle = term == null ? "" : term.strip().toLowerCase(java.util.Locale.ROOT);
        List<Hit> hits = new ArrayList<>();
        for (Map.Entry<PkgPath, Visibility> e : packages().entrySet()) {
            PkgPath path = e.getKey();
            if (!access.canRead(principal, path.owner(), e.getValue())) {
                continue;
            }
            List<PackageVersion> versions = jdbi.withHandle(h -> versions(h, path));
            if (versions.isEmpty()) {
                continue;
            }
            PackageVersion latest = highest(versions);
            String description = latest.description() == null ? "" : latest.description().toLowerCase(java.util.Locale.ROOT);
            if (path.toString().toLowerCase(java.util.Locale.ROOT).contains(needle) || description.contains(needle)) {
                hits.add(new Hit(path, e.getValue(), latest));
                if (hits.size() >= limit) {
                    break;
                }
            }
        }
        return hits;
    }

    /** Every package with its visibility, sorted by pkg-path. */
    SequencedMap<PkgPath, Visibility> packages() {
        SequencedMap<PkgPath, Visibility> result = new LinkedHashMap<>();
        jdbi.useHandle(h -> h.createQuery("SELECT owner, name, visibility FROM catalog_packages ORDER BY owner, name")
                .map((rs, ctx) -> Map.entry(new PkgPath(rs.getString("owner"), rs.getString("name")),
                        Visibility.parse(rs.getString("visibility"))))
                .forEach(e -> result.put(e.getKey(), e.getValue())));
        return result;
    }

    Optional<Visibility> visibility(PkgPath pkgPath) {
        return jdbi.withHandle(h -> h.createQuery("SELECT visibility FROM catalog_packages WHERE owner = :o AND name = :n")
                .bind("o", pkgPath.owner()).bind("n", pkgPath.name()).mapTo(String.class).findOne()
                .map(Visibility::parse));
    }

    /** The versions of {@code pkgPath}, newest (last published) first, with their systems and outputs. */
    private static List<PackageVersion> versions(Handle h, PkgPath pkgPath) {
        Map<String, Map<String, SequencedMap<String, StorePath>>> outputs = new HashMap<>();
        h.createQuery("SELECT version, system, output, store_path FROM catalog_outputs WHERE owner = :o AND name = :n")
                .bind("o", pkgPath.owner()).bind("n", pkgPath.name())
                .map((rs, ctx) -> List.of(rs.getString("version"), rs.getString("system"), rs.getString("output"),
                        rs.getString("store_path")))
                .forEach(r -> outputs.computeIfAbsent(r.get(0), k -> new HashMap<>())
                        .computeIfAbsent(r.get(1), k -> new LinkedHashMap<>()).put(r.get(2), storePath(r.get(3))));
        Map<String, Map<String, SystemOutputs>> systems = new HashMap<>();
        h.createQuery("SELECT version, system, outputs_to_install FROM catalog_systems WHERE owner = :o AND name = :n")
                .bind("o", pkgPath.owner()).bind("n", pkgPath.name())
                .map((rs, ctx) -> List.of(rs.getString("version"), rs.getString("system"), rs.getString("outputs_to_install")))
                .forEach(r -> systems.computeIfAbsent(r.get(0), k -> new TreeMap<>()).put(r.get(1), new SystemOutputs(
                        outputs.getOrDefault(r.get(0), Map.of()).getOrDefault(r.get(1), new LinkedHashMap<>()),
                        r.get(2).isEmpty() ? List.of() : List.of(r.get(2).split(",")))));
        return h.createQuery("""
                        SELECT version, seq, description, license, unfree, broken, published_at, publisher
                        FROM catalog_versions WHERE owner = :o AND name = :n ORDER BY seq DESC""")
                .bind("o", pkgPath.owner()).bind("n", pkgPath.name())
                .map((rs, ctx) -> new PackageVersion(pkgPath, rs.getString("version"), rs.getLong("seq"),
                        rs.getString("description"), rs.getString("license"), rs.getBoolean("unfree"),
                        rs.getBoolean("broken"), Instant.ofEpochMilli(rs.getLong("published_at")), rs.getString("publisher"),
                        new LinkedHashMap<>(systems.getOrDefault(rs.getString("version"), Map.of()))))
                .list();
    }

    private static StorePath storePath(String text) {
        try {
            return StorePath.parse(text);
        } catch (NixException e) {
            throw new IllegalStateException("the catalog holds a bad store path: " + text, e);
        }
    }

    /**
     * The order resolution uses: semver versions by precedence above versions that are not semver,
     * which order by publication; "highest" is the last in this order.
     */
    static final Comparator<PackageVersion> ORDER = Comparator
            .<PackageVersion, SemanticVersion>comparing(v -> SemanticVersion.parse(v.version()).orElse(null),
                    Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparingLong(PackageVersion::seq);

    static PackageVersion highest(Collection<PackageVersion> versions) {
        return versions.stream().max(ORDER).orElseThrow();
    }

    /** The versions' names, lowest first by {@link #ORDER}, for messages. */
    static String available(Collection<PackageVersion> versions) {
        return versions.isEmpty() ? "none" : String.join(", ", versions.stream().sorted(ORDER).map(PackageVersion::version).toList());
    }

    /** NOT_FOUND for a package that is absent or invisible to {@code principal}, with a close name if there is one. */
    HubException notFound(PkgPath pkgPath, Principal principal) {
        return HubException.notFound("%s", notFoundMessage(pkgPath.toString(), principal));
    }

    String notFoundMessage(String pkgPath, Principal principal) {
        List<String> readable = packages().entrySet().stream()
                .filter(e -> access.canRead(principal, e.getKey().owner(), e.getValue()))
                .map(e -> e.getKey().toString()).toList();
        return "package '" + pkgPath + "' not found in the catalog"
                + Suggestions.closest(pkgPath, readable).map(s -> "; did you mean '" + s + "'?").orElse("");
    }

    // ---------------------------------------------------------------- binary cache

    /** Every package's outputs, whoever may read them (the cache protects their closures). */
    public Collection<StorePath> allRoots() {
        return roots.get().all();
    }

    /**
     * The store paths (outputs of every version, every system) of the packages {@code principal} may
     * read: the roots the binary cache serves closures of. Answered from memory; see the class comment.
     */
    public Collection<StorePath> readableRoots(Principal principal) {
        return roots.get().readableBy(principal, access);
    }

    private VisibleRoots loadRoots() {
        Set<StorePath> publicRoots = new HashSet<>();
        Map<String, Set<StorePath>> privateByOwner = new HashMap<>();
        jdbi.useHandle(h -> h.createQuery("""
                        SELECT p.owner, p.visibility, o.store_path FROM catalog_outputs o
                        JOIN catalog_packages p ON p.owner = o.owner AND p.name = o.name""")
                .map((rs, ctx) -> List.of(rs.getString(1), rs.getString(2), rs.getString(3)))
                .forEach(row -> {
                    StorePath path = storePath(row.get(2));
                    if (row.get(1).equals("public")) {
                        publicRoots.add(path);
                    } else {
                        privateByOwner.computeIfAbsent(row.get(0), k -> new HashSet<>()).add(path);
                    }
                }));
        return VisibleRoots.of(publicRoots, privateByOwner);
    }
}
