package org.imageless.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.imageless.environment.EnvironmentRef;
import org.imageless.nix.NixException;
import org.imageless.runtime.hub.Resolver;
import org.junit.jupiter.api.Test;

/** When a container may use what its pod's sandbox prepared (the rules of {@link PodPreparations}). */
class PodPreparationsTest {

    static final EnvironmentRef REF = EnvironmentRef.parse("acme/web");
    static final PodPreparations.Ready PREPARED = new PodPreparations.Ready(
            new Create.Prepared(null, null, null, Set.of(), Set.of()), Optional.empty());

    static Resolver.Resolved resolved(Optional<String> offlineNote) {
        return new Resolver.Resolved(REF, 1, null, offlineNote);
    }

    @Test
    void eachContainerNameTakesItOnceWithTheSameReferenceAndToken() {
        PodPreparations.begin("s1", REF, Optional.empty(), w -> {
            w.answered(resolved(Optional.empty()), List.of("expired token ignored"));
            return PREPARED;
        });
        long now = System.nanoTime();
        assertThat(PodPreparations.take("s1", "app", REF, Optional.of("t"), now)).isEmpty(); // another token
        assertThat(PodPreparations.take("s1", "app", EnvironmentRef.parse("acme/other"), Optional.empty(), now)).isEmpty();
        assertThat(PodPreparations.take("s2", "app", REF, Optional.empty(), now)).isEmpty(); // another sandbox
        assertThat(PodPreparations.take(null, "app", REF, Optional.empty(), now)).isEmpty();

        Optional<PodPreparations.Taken> taken = PodPreparations.take("s1", "app", REF, Optional.empty(), now);
        assertThat(taken).isPresent();
        assertThat(taken.get().ready()).isSameAs(PREPARED);
        assertThat(taken.get().hubWarnings()).containsExactly("expired token ignored");
        assertThat(PodPreparations.take("s1", "app", REF, Optional.empty(), now)).isEmpty(); // a restart
        assertThat(PodPreparations.take("s1", "sidecar", REF, Optional.empty(), now)).isPresent();
    }

    @Test
    void anAnswerOlderThanFreshIsNotUsed() {
        PodPreparations.begin("s3", REF, Optional.empty(), w -> {
            w.answered(resolved(Optional.empty()), List.of());
            return PREPARED;
        });
        long later = System.nanoTime() + PodPreparations.FRESH.toNanos() + 1_000_000_000L;
        assertThat(PodPreparations.take("s3", "app", REF, Optional.empty(), later)).isEmpty();
    }

    @Test
    void theNodesRecordAFailureOrAHubThatDoesNotAnswerLeaveTheContainerToResolveItself() {
        PodPreparations.begin("s4", REF, Optional.empty(), w -> {
            w.answered(resolved(Optional.of("cannot reach the hub")), List.of());
            return PREPARED;
        });
        assertThat(PodPreparations.take("s4", "app", REF, Optional.empty(), System.nanoTime())).isEmpty();

        PodPreparations.begin("s5", REF, Optional.empty(), w -> {
            w.answered(resolved(Optional.empty()), List.of());
            throw NixException.invalid("no packages for this system");
        });
        assertThat(PodPreparations.take("s5", "app", REF, Optional.empty(), System.nanoTime())).isEmpty();

        java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
        PodPreparations.begin("s6", REF, Optional.empty(), w -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return PREPARED;
        });
        long t0 = System.nanoTime();
        assertThat(PodPreparations.take("s6", "app", REF, Optional.empty(), t0)).isEmpty();
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(PodPreparations.AWAIT_ANSWER.toNanos());
        never.countDown();
    }
}
