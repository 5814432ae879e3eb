package org.imageless.hub.activation;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.imageless.environment.activation.ActivationMode;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * Where each generation runs. Nodes report each container they start ({@link ActivationReport});
 * the hub keeps the newest report per container (node, namespace, pod, container): a later report
 * for the same container replaces an earlier one, whatever the order they arrive in.
 *
 * <p>"Now" is: the newest report of each container, if it was made within the last {@link #WINDOW}.
 * Nodes report when a container starts and do not report when it stops, so a container restarted
 * with another generation moves at once, and one not heard of for {@link #WINDOW} is taken as gone.
 * Access checks are the caller's.
 */
public final class Activations {

    /** How long a report counts as "running now" without a newer one. */
    public static final Duration WINDOW = Duration.ofDays(7);
    /** How far in the future a report's time may be (clock skew between node and hub). */
    public static final Duration MAX_SKEW = Duration.ofMinutes(5);

    private final Jdbi jdbi;
    private final Clock clock;

    public Activations(Jdbi jdbi, Clock clock) {
        this.jdbi = jdbi;
        this.clock = clock;
    }

    /** Stores {@code reports} (all or none); {@code reporter} is the principal's name, for the record. */
    public void record(List<ActivationReport> reports, String reporter) {
        long now = clock.millis();
        jdbi.useTransaction(h -> {
            PreparedBatch batch = h.prepareBatch("""
                    INSERT INTO activations (node, namespace, pod, container, owner, name, generation, mode,
                                             activated_at, received_at, reporter)
                    VALUES (:node, :namespace, :pod, :container, :owner, :name, :generation, :mode,
                            :activated, :received, :reporter)
                    ON CONFLICT (node, namespace, pod, container) DO UPDATE SET
                        owner = excluded.owner, name = excluded.name, generation = excluded.generation,
                        mode = excluded.mode, activated_at = excluded.activated_at,
                        received_at = excluded.received_at, reporter = excluded.reporter
                    WHERE excluded.activated_at >= activations.activated_at""");
            for (ActivationReport r : reports) {
                batch.bind("node", r.node()).bind("namespace", r.namespace()).bind("pod", r.pod())
                        .bind("container", r.container()).bind("owner", r.environment().owner())
                        .bind("name", r.environment().name()).bind("generation", r.generation())
                        .bind("mode", r.mode().text()).bind("activated", r.time().toEpochMilli())
                        .bind("received", now).bind("reporter", reporter).add();
            }
            batch.execute();
        });
    }

    /** The containers running {@code owner/name} now (see the class comment), newest generation first. */
    public List<Running> running(String owner, String name) {
        long since = clock.instant().minus(WINDOW).toEpochMilli();
        return jdbi.withHandle(h -> h.createQuery("""
                        SELECT generation, node, namespace, pod, container, mode, activated_at, reporter
                        FROM activations WHERE owner = :o AND name = :n AND activated_at >= :since
                        ORDER BY generation DESC, node, namespace, pod, container""")
                .bind("o", owner).bind("n", name).bind("since", since)
                .map((rs, ctx) -> new Running(rs.getInt("generation"), rs.getString("node"), rs.getString("namespace"),
                        rs.getString("pod"), rs.getString("container"), ActivationMode.parse(rs.getString("mode")),
                        Instant.ofEpochMilli(rs.getLong("activated_at")), rs.getString("reporter")))
                .list());
    }
}
