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
    private static Thread sender;

    private DeferredReports() {
    }

    /** Queues {@code eventJson} for {@code hub}; returns at once. */
    public static void submit(HubClient hub, String eventJson) {
        QUEUE.add(new Report(hub, eventJson, System.nanoTime() + DELAY.toNanos()));
        synchronized (DeferredReports.class) {
            if (sender == null) {
                sender = Thread.ofVirtual().name("flox-activation-reports").start(DeferredReports::send);
            }
        }
    }

    private static void send() {
        try {
            while (true) {
                Report first = QUEUE.take();
                long wait = first.dueNanos() - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                List<Report> due = new ArrayList<>(List.of(first));
                long now = System.nanoTime();
                while (QUEUE.peek() != null && QUEUE.peek().dueNanos() <= now) {
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
