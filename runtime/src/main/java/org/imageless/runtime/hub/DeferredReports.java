package org.imageless.runtime.hub;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Activation reports of the resident daemon, which outlives the starts it reports. A report waits for
 * the node's runtime to be quiet: it is sent once no create or exec has come to the daemon for
 * {@link #QUIET} ({@link #busy}), at the earliest {@link #DELAY} and at the latest {@link #LATEST} after its
 * start. The hub's work on it (and the daemon's) then does not compete with runc starting containers,
 * and the reports of a burst of starts go together: those of the same hub and token in one
 * {@code PUT /api/v1/events} (an array). Best effort, like every report: one that cannot be delivered is
 * dropped.
 */
public final class DeferredReports {

    /** How long after its start a report is sent at the earliest. */
    public static final Duration DELAY = Duration.ofSeconds(1);
    /** How long the daemon must have had no create or exec for the reports to go. */
    public static final Duration QUIET = Duration.ofSeconds(1);
    /** How long after its start a report is sent at the latest, however busy the node. */
    public static final Duration LATEST = Duration.ofSeconds(10);

    /** The most reports in one request (the hub takes up to 1000). */
    static final int BATCH = 500;

    private record Report(HubClient hub, Supplier<String> event, long submittedNanos) {}

    /** {@link System#nanoTime()} of the last create or exec the daemon began. */
    private static volatile long lastBusy = System.nanoTime() - QUIET.toNanos();

    private static final BlockingQueue<Report> QUEUE = new LinkedBlockingQueue<>();
    /** Guards {@link #sender} and {@link #flushing}; the sender waits on it for a report to be due. */
    private static final Object LOCK = new Object();
    private static Thread sender;
    private static boolean flushing;

    private DeferredReports() {
    }

    /** Queues the report {@code eventJson} makes (when it is sent) for {@code hub}; returns at once. */
    public static void submit(HubClient hub, Supplier<String> eventJson) {
        QUEUE.add(new Report(hub, eventJson, System.nanoTime()));
        synchronized (LOCK) {
            if (sender == null) {
                sender = Thread.ofVirtual().name("flox-activation-reports").start(DeferredReports::send);
            }
        }
    }

    /** The daemon began a create or an exec: reports wait until it has been quiet for {@link #QUIET}. */
    public static void busy() {
        lastBusy = System.nanoTime();
    }

    /** When {@code first}, the oldest report queued, goes (and every report queued with it). */
    private static long dueNanos(Report first) {
        long quiet = lastBusy + QUIET.toNanos();
        long earliest = first.submittedNanos() + DELAY.toNanos();
        return Math.min(first.submittedNanos() + LATEST.toNanos(), Math.max(earliest, quiet));
    }

    /**
     * Sends every queued report now, without waiting for it to be due, and returns once they are sent or
     * {@code timeout} has passed (the daemon's stop: a report is not dropped for being young).
     */
    public static void flush(Duration timeout) {
        Thread s;
        synchronized (LOCK) {
            s = sender;
            if (s == null) {
                return;
            }
            flushing = true;
            LOCK.notifyAll();
        }
        try {
            s.join(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            synchronized (LOCK) {
                if (sender == s) {
                    sender = null; // the next submit starts a sender of its own
                }
                flushing = false;
            }
        }
    }

    private static void send() {
        try {
            while (true) {
                Report first = QUEUE.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    synchronized (LOCK) {
                        if (flushing) {
                            return;
                        }
                    }
                    continue;
                }
                synchronized (LOCK) {
                    // (a start meanwhile moves the time on: it is computed again after every wait)
                    long wait;
                    while (!flushing && (wait = dueNanos(first) - System.nanoTime()) > 0) {
                        TimeUnit.NANOSECONDS.timedWait(LOCK, wait);
                    }
                }
                // the reports queued since go too: they waited for the same quiet
                List<Report> due = new ArrayList<>(List.of(first));
                QUEUE.drainTo(due);
                while (!due.isEmpty()) {
                    HubClient hub = due.getFirst().hub();
                    List<String> batch = new ArrayList<>();
                    due.removeIf(r -> r.hub().sameHubAndToken(hub) && json(r).map(batch::add).orElse(true));
                    for (int i = 0; i < batch.size(); i += BATCH) {
                        deliver(hub, batch.subList(i, Math.min(batch.size(), i + BATCH)));
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The report's JSON; empty if it cannot be made (it is dropped, as one that cannot be delivered). */
    private static java.util.Optional<String> json(Report r) {
        try {
            return java.util.Optional.of(r.event().get());
        } catch (RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    /** One PUT for the batch; if the hub refuses it, each report alone (one bad report does not drop the rest). */
    private static void deliver(HubClient hub, List<String> events) {
        try {
            if (events.size() == 1 ? hub.report(events.getFirst()) : hub.report("[" + String.join(",", events) + "]")) {
                return;
            }
            if (events.size() > 1) {
                for (String e : events) {
                    hub.report(e);
                }
            }
        } catch (RuntimeException ignored) {
            // reports are best effort and never delay or fail a start
        }
    }
}
