package org.imageless.hub.environment;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.imageless.environment.generation.Generation;
import org.imageless.environment.generation.GenerationsMetadata;
import org.imageless.environment.generation.HistoryEntry;
import org.imageless.environment.lock.Lockfile;
import org.imageless.environment.manifest.Manifest;
import org.imageless.hub.HubException;
import org.imageless.hub.auth.Visibility;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * The environments of every owner: the {@code environments} table (visibility, times) and their
 * generations read from git ({@link FloxmetaStore}). Access checks are the caller's: this service
 * answers for anyone. Environments come into being through an accepted push ({@link #recordPush}).
 */
public final class Environments {

    /** The hostname of history entries the hub itself makes (a switch through the REST API). */
    public static final String HUB_HOSTNAME = "floxhub";
    /** How often a switch retries when a push moved the branch under it. */
    private static final int SWITCH_ATTEMPTS = 5;

    private final Jdbi jdbi;
    private final FloxmetaStore store;
    private final Clock clock;
    private final java.util.concurrent.atomic.AtomicLong changes = new java.util.concurrent.atomic.AtomicLong();
    /** One switch at a time per environment in this process; other replicas and pushes race by compare-and-swap. */
    private final java.util.concurrent.ConcurrentHashMap<String, Object> switching = new java.util.concurrent.ConcurrentHashMap<>();

    public Environments(Jdbi jdbi, FloxmetaStore store, Clock clock) {
        this.jdbi = jdbi;
        this.store = store;
        this.clock = clock;
    }

    public FloxmetaStore store() {
        return store;
    }

    /**
     * A counter bumped by every change this process makes or accepts (push, switch, visibility,
     * delete): caches of derived data (the binary cache's readable roots) reload when it moves.
     */
    public long changeCount() {
        return changes.get();
    }

    /** {@code owner}'s environments by name. */
    public List<Environment> list(String owner) {
        return jdbi.withHandle(h -> h.createQuery(
                        "SELECT owner, name, visibility, created_at, updated_at FROM environments WHERE owner = :o ORDER BY name")
                .bind("o", owner).map(Environments::row).list());
    }

    /** Every environment of every owner. */
    public List<Environment> listAll() {
        return jdbi.withHandle(h -> h.createQuery(
                        "SELECT owner, name, visibility, created_at, updated_at FROM environments ORDER BY owner, name")
                .map(Environments::row).list());
    }

    public Optional<Environment> find(String owner, String name) {
        return jdbi.withHandle(h -> h.createQuery(
                        "SELECT owner, name, visibility, created_at, updated_at FROM environments WHERE owner = :o AND name = :n")
                .bind("o", owner).bind("n", name).map(Environments::row).findOne());
    }

    /** The names of {@code owner}'s public environments (the git read filter for non-members). */
    public Set<String> publicNames(String owner) {
        return jdbi.withHandle(h -> h.createQuery(
                        "SELECT name FROM environments WHERE owner = :o AND visibility = 'public'")
                .bind("o", owner).mapTo(String.class).collect(java.util.stream.Collectors.toCollection(TreeSet::new)));
    }

    /** Changes who may read {@code owner/name}; NOT_FOUND when there is no such environment. */
    public void setVisibility(String owner, String name, Visibility visibility) {
        int updated = jdbi.withHandle(h -> h.createUpdate(
                        "UPDATE environments SET visibility = :v, updated_at = :t WHERE owner = :o AND name = :n")
                .bind("v", visibility.label()).bind("t", clock.millis()).bind("o", owner).bind("n", name).execute());
        if (updated == 0) {
            throw notFound(owner, name);
        }
        changes.incrementAndGet();
    }

    /**
     * Deletes {@code owner/name}: its branch (the generations) and its row. Deleting the branch first
     * means a failure half-way leaves a row without generations (NOT_FOUND on reads), never generations
     * without a row (which git would then hide from non-members, but a later push could not re-create).
     */
    public void delete(String owner, String name) {
        if (find(owner, name).isEmpty()) {
            throw notFound(owner, name);
        }
        store.open(owner).ifPresent(repo -> {
            try (repo) {
                org.eclipse.jgit.lib.RefUpdate u = repo.updateRef(FloxmetaStore.refName(name));
                if (repo.exactRef(FloxmetaStore.refName(name)) != null) {
                    u.setForceUpdate(true);
                    org.eclipse.jgit.lib.RefUpdate.Result r = u.delete();
                    if (r != org.eclipse.jgit.lib.RefUpdate.Result.FORCED && r != org.eclipse.jgit.lib.RefUpdate.Result.NO_CHANGE) {
                        throw HubException.conflict("environment '%s/%s' is being changed (%s): try again", owner, name, r);
                    }
                }
            } catch (java.io.IOException e) {
                throw HubException.unavailable("cannot delete " + owner + "/" + name + ": " + e.getMessage(), e);
            }
        });
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM environments WHERE owner = :o AND name = :n")
                .bind("o", owner).bind("n", name).execute());
        changes.incrementAndGet();
    }

    /**
     * Makes generation {@code generation} live: a commit on the branch that appends a
     * {@code switch_generation} history entry by {@code author} with hostname {@value #HUB_HOSTNAME}
     * (which the API shows as {@code command: null}). The branch moves by compare-and-swap, so a
     * concurrent push is never lost: the switch is re-done on top of it. Switching to the generation
     * that is live already changes nothing.
     *
     * @return false when it was live already
     */
    public boolean switchGeneration(String owner, String name, int generation, String author) {
        synchronized (switching.computeIfAbsent(owner + "/" + name, k -> new Object())) {
            return switchOnce(owner, name, generation, author);
        }
    }

    private boolean switchOnce(String owner, String name, int generation, String author) {
        for (int attempt = 0; attempt < SWITCH_ATTEMPTS; attempt++) {
            BranchSnapshot head = head(owner, name);
            GenerationsMetadata metadata = head.metadata();
            if (!metadata.generations().contains(generation)) {
                throw HubException.notFound("environment '%s/%s' has no generation %d (it has 1 to %d)", owner, name,
                        generation, metadata.totalGenerations());
            }
            int live = metadata.liveGeneration().orElseThrow();
            if (live == generation) {
                return false;
            }
            GenerationsMetadata next = metadata.append(new HistoryEntry(HistoryEntry.Change.switchGeneration(), author,
                    HUB_HOSTNAME, clock.instant().getEpochSecond(), generation, live));
            if (store.replaceFile(owner, name, head.commit(), GenerationsMetadata.FILE_NAME, next.format(),
                    author, "switch to generation " + generation)) {
                recordPush(owner, name);
                return true;
            }
        }
        throw HubException.conflict("environment '%s/%s' kept changing while switching to generation %d: try again",
                owner, name, generation);
    }

    /**
     * Records an accepted push to {@code owner/name}: the first creates the row (public), later ones
     * touch {@code updated_at}. One statement, so concurrent first pushes cannot both insert.
     */
    public void recordPush(String owner, String name) {
        long now = clock.millis();
        jdbi.useHandle(h -> h.createUpdate("""
                        INSERT INTO environments (owner, name, visibility, created_at, updated_at)
                        VALUES (:o, :n, 'public', :t, :t)
                        ON CONFLICT (owner, name) DO UPDATE SET updated_at = excluded.updated_at""")
                .bind("o", owner).bind("n", name).bind("t", now).execute());
        changes.incrementAndGet();
    }

    /**
     * Gives every branch of every owner's repository that has no row one (public, as its first push
     * would have): a hub killed after a push moved the branch but before {@link #recordPush} ran
     * heals here. Rows that exist are left alone. Run at start-up ({@link org.imageless.hub.Hub#open}).
     *
     * @return the environments that got a row ({@code owner/name})
     */
    public List<String> recordUnrecordedBranches() {
        List<String> healed = new java.util.ArrayList<>();
        long now = clock.millis();
        store.branches().forEach((owner, names) -> {
            Set<String> known = jdbi.withHandle(h -> h.createQuery("SELECT name FROM environments WHERE owner = :o")
                    .bind("o", owner).mapTo(String.class).collect(java.util.stream.Collectors.toSet()));
            for (String name : names) {
                if (known.contains(name)) {
                    continue;
                }
                int inserted = jdbi.withHandle(h -> h.createUpdate("""
                                INSERT INTO environments (owner, name, visibility, created_at, updated_at)
                                VALUES (:o, :n, 'public', :t, :t)
                                ON CONFLICT (owner, name) DO NOTHING""")
                        .bind("o", owner).bind("n", name).bind("t", now).execute());
                if (inserted > 0) {
                    healed.add(owner + "/" + name);
                }
            }
        });
        if (!healed.isEmpty()) {
            changes.incrementAndGet();
        }
        return healed;
    }

    /** The tip of the environment's branch; NOT_FOUND when it has none. */
    public BranchSnapshot head(String owner, String name) {
        return store.head(owner, name).orElseThrow(() -> notFound(owner, name));
    }

    /** The branch's {@code metadata.json}. */
    public GenerationsMetadata metadata(String owner, String name) {
        return head(owner, name).metadata();
    }

    /** The generation that is live now (the last history entry's {@code current_generation}). */
    public int liveGeneration(String owner, String name) {
        return metadata(owner, name).liveGeneration().orElseThrow(() ->
                HubException.notFound("environment '%s/%s' has no generations yet", owner, name));
    }

    /** The text of {@code <n>/env/manifest.toml}. */
    public String manifestText(String owner, String name, int generation) {
        return head(owner, name).text(Generation.manifestPath(generation)).orElseThrow(() ->
                HubException.notFound("environment '%s/%s' has no generation %d", owner, name, generation));
    }

    /** The text of {@code <n>/env/manifest.lock}; empty when that generation has no lock (Flox allows it). */
    public Optional<String> lockText(String owner, String name, int generation) {
        BranchSnapshot head = head(owner, name);
        if (head.text(Generation.manifestPath(generation)).isEmpty()) {
            throw HubException.notFound("environment '%s/%s' has no generation %d", owner, name, generation);
        }
        return head.text(Generation.lockPath(generation));
    }

    /** A generation, parsed: its manifest, lock (null when absent) and the history entry that created it. */
    public Generation generation(String owner, String name, int number) {
        BranchSnapshot head = head(owner, name);
        GenerationsMetadata metadata = head.metadata();
        if (!metadata.generations().contains(number)) {
            throw HubException.notFound("environment '%s/%s' has no generation %d", owner, name, number);
        }
        Manifest manifest = Manifest.parse(head.text(Generation.manifestPath(number)).orElseThrow(),
                Generation.manifestPath(number));
        Lockfile lock = head.text(Generation.lockPath(number))
                .map(text -> Lockfile.parse(text, Generation.lockPath(number))).orElse(null);
        HistoryEntry created = metadata.creation(number);
        return new Generation(number, manifest, lock, created);
    }

    private static HubException notFound(String owner, String name) {
        return HubException.notFound("environment '%s/%s' does not exist", owner, name);
    }

    private static Environment row(java.sql.ResultSet rs, StatementContext ctx) throws java.sql.SQLException {
        return new Environment(rs.getString("owner"), rs.getString("name"), Visibility.parse(rs.getString("visibility")),
                Instant.ofEpochMilli(rs.getLong("created_at")), Instant.ofEpochMilli(rs.getLong("updated_at")));
    }
}
