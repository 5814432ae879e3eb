package org.imageless.hub.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ReplicaSnapshotTest {

    @Test
    void aChangeInThisProcessIsLoadedForTheNextCallerAndConcurrentCallersShareOneLoad() throws Exception {
        AtomicLong version = new AtomicLong();
        AtomicInteger loads = new AtomicInteger();
        ReplicaSnapshot<String> s = new ReplicaSnapshot<>(Duration.ofHours(1), version::get, v -> {
            loads.incrementAndGet();
            try {
                Thread.sleep(50); // a slow load: the other callers arrive meanwhile
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "v" + v;
        });
        assertThat(s.get()).isEqualTo("v0");

        version.incrementAndGet();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> callers = new ArrayList<>();
        List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 8; i++) {
            callers.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                seen.add(s.get());
            }));
        }
        go.countDown();
        for (Thread t : callers) {
            t.join();
        }
        assertThat(seen).hasSize(8).containsOnly("v1");
        assertThat(loads).hasValue(2);
    }

    @Test
    void anOldValueIsServedWhileOneBackgroundLoadReplacesIt() throws Exception {
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        ReplicaSnapshot<Integer> s = new ReplicaSnapshot<>(Duration.ofMillis(20), () -> 0, v -> {
            int n = loads.incrementAndGet();
            if (n == 2) {
                try {
                    release.await(); // the background load takes its time
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return n;
        });
        assertThat(s.get()).isEqualTo(1);
        Thread.sleep(40);

        for (int i = 0; i < 20; i++) {
            assertThat(s.get()).isEqualTo(1); // no caller waits for the reload
        }
        release.countDown();
        java.time.Instant deadline = java.time.Instant.now().plusSeconds(10);
        while (s.get() == 1 && java.time.Instant.now().isBefore(deadline)) {
            Thread.sleep(5);
        }
        assertThat(s.get()).isGreaterThanOrEqualTo(2);
        assertThat(loads.get()).as("one background load while it ran, not one per caller").isLessThanOrEqualTo(3);
    }
}
