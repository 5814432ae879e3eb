package org.imageless.runtime.hub;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Activation reports of the resident daemon, which outlives the starts it reports: each is sent
 * {@link #DELAY} after its start was prepared, so that the hub's work on it (and the daemon's) does not
 * compete with runc starting the container, and reports of the same hub and token that are due
 * together go in one {@code PUT /api/v1/events} (an array). Best effort, like every report: one that
 * cannot be delivered is dropped.
 */
public final class DeferredReports {

    /** How long after a start its report is sent. */
    public static final Duration DELAY = Duration.ofSeconds(1);

    private record Report(HubClient hub, String event, long dueNanos) {}

    private static final BlockingQueue<Report> QUEUE = new LinkedBlockingQueue<>();
    /** Guards {@link #sender} and {@link #flushing}; the sender waits on it for a report to be due. */
    private static final Object LOCK = new Object();
    private static Thread sender;
    private static boolean flushing;

    private DeferredReports() {
    }

    /** Queues {@code eventJson} for {@code hub}; returns at once. */
    public static void submit(HubClient hub, String eventJson) {
        QUEUE.add(new Report(hub, eventJson, System.nanoTime() + DELAY.toNanos()));
        synchronized (LOCK) {
            if (sender == null) {
                sender = Thread.ofVirtual().name("flox-activation-reports").start(DeferredReports::send);
            }
        }
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
                    long wait = first.dueNanos() - System.nanoTime();
                    while (wait > 0 && !flushing) {
                        TimeUnit.NANOSECONDS.timedWait(LOCK, wait);
                        wait = first.dueNanos() - System.nanoTime();
                    }
                }
                List<Report> due = new ArrayList<>(List.of(first));
                long now = System.nanoTime();
                boolean all;
                synchronized (LOCK) {
                    all = flushing;
                }
                while (QUEUE.peek() != null && (all || QUEUE.peek().dueNanos() <= now)) {
                    due.add(QUEUE.poll());
                }
                while (!due.isEmpty()) {
                    HubClient hub = due.getFirst().hub();
                    List<String> batch = new ArrayList<>();
                    due.removeIf(r -> r.hub().sameHubAndToken(hub) && batch.add(r.event()));
                    deliver(hub, batch);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
