package org.imageless.runtime;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import org.imageless.environment.EnvironmentRef;
import org.imageless.runtime.hub.Resolver;

/**
 * Resident mode: a pod's environment resolved and prepared when its sandbox is created, for the first
 * start of each of its containers. kubelet creates the sandbox, then (after its network is up and the
 * images are there) the containers; the hub's answer and the closure are ready by then, so a
 * container's create does not wait for the hub.
 *
 * <p>A container uses what its pod's sandbox prepared only when all of these hold; otherwise it
 * resolves itself, as always:
 * <ul>
 *   <li>it is the first create of a container of that name in the sandbox (a restart is a new create
 *       with the same name: it resolves again, and picks up a generation pushed since);
 *   <li>the hub answered (not the node's record of an earlier answer: an unreachable hub is tried
 *       again) at most {@link #FRESH} before the container's create began;
 *   <li>the container asks the hub with the same token the sandbox did (the sandbox has no secret
 *       mounts, so: the node's token or none).
 * </ul>
 * A failed preparation is never reported here: the container's own create then fails with the cause.
 */
final class PodPreparations {

    /** How old the hub's answer may be for a container's first start to use it. */
    static final Duration FRESH = Duration.ofSeconds(10);
    /** How long a container's create waits for the hub's answer to its sandbox's request, if it is still on its way. */
    static final Duration AWAIT_ANSWER = Duration.ofSeconds(1);
    /** Sandboxes remembered; the oldest go first (a pod's containers come within seconds of its sandbox). */
    private static final int KEPT = 256;

    /** The work for one sandbox; {@code answered} is set when the hub's answer came (not from the record). */
    static final class Work {
        private final EnvironmentRef ref;
        private final Optional<String> token;
        private final long began = System.nanoTime();
        private final Set<String> started = ConcurrentHashMap.newKeySet();
        private final CompletableFuture<Ready> ready = new CompletableFuture<>();
        private final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        private volatile long answered;
        private volatile boolean fromHub;
        private volatile java.util.List<String> warnings = java.util.List.of();
        /** The sandbox's create came through the daemon (its launcher asked), with or without timings. */
        private volatile boolean launched;
        private volatile boolean timings;

        private Work(EnvironmentRef ref, Optional<String> token) {
            this.ref = ref;
            this.token = token;
        }

        /** Called by the work once the hub answered with {@code resolved} (and its {@code Warning} headers). */
        void answered(Resolver.Resolved resolved, java.util.List<String> hubWarnings) {
            warnings = java.util.List.copyOf(hubWarnings);
            fromHub = resolved.offlineNote().isEmpty();
            answered = System.nanoTime();
            done.countDown();
        }
    }

    /**
     * A pod's environment, ready for its containers: prepared (its closure rooted as the sandbox's), and the
     * closure's mount points unless the pod is nix-mutable (a container's create then makes none of its own).
     */
    record Ready(Create.Prepared prepared, Optional<java.nio.file.Path> mountPoints) {
    }

    /**
     * What a container takes: what its sandbox made ready, what the hub warned about when it answered, and whether
     * the sandbox's create came through the daemon ({@code launched}; with {@code timings} asked for): then the
     * pod's runtime is the launcher, and so is its containers' (a pod has one runtime handler).
     */
    record Taken(Ready ready, java.util.List<String> hubWarnings, boolean launched, boolean timings) {
    }

    private static final ConcurrentHashMap<String, Work> BY_SANDBOX = new ConcurrentHashMap<>();

    private PodPreparations() {
    }

    /**
     * Starts preparing {@code ref} for sandbox {@code sandboxId} in the background: {@code work} resolves
     * (calling {@link Work#answered} with the hub's answer) and prepares it, or throws. Once per sandbox,
     * environment and token.
     */
    static void begin(String sandboxId, EnvironmentRef ref, Optional<String> token, Function<Work, Ready> work) {
        Work begun = BY_SANDBOX.get(sandboxId);
        if (begun != null && begun.ref.equals(ref) && begun.token.equals(token)) {
            return; // begun when containerd wrote the sandbox's bundle (CreatesAhead), before its create came
        }
        if (BY_SANDBOX.size() >= KEPT) {
            long now = System.nanoTime();
            BY_SANDBOX.values().removeIf(w -> now - w.began > 2 * FRESH.toNanos());
        }
        Work w = new Work(ref, token);
        BY_SANDBOX.put(sandboxId, w);
        Thread.ofVirtual().name("prepare pod " + sandboxId).start(() -> {
            try {
                w.ready.complete(work.apply(w));
            } catch (Throwable e) {
                w.ready.completeExceptionally(e);
            } finally {
                w.done.countDown();
            }
        });
    }

    /**
     * The create of sandbox {@code sandboxId} came through the daemon, its caller asking for {@code timings}: its
     * containers run through the launcher too, and so may be written before their creates ({@link CreatesAhead}).
     */
    static void launched(String sandboxId, boolean timings) {
        Work w = BY_SANDBOX.get(sandboxId);
        if (w != null) {
            w.timings = timings;
            w.launched = true;
        }
    }

    /** Waits, at most {@code max}, until the preparation for {@code sandboxId}, if any, is over (for tests). */
    static void await(String sandboxId, Duration max) {
        Work w = BY_SANDBOX.get(sandboxId);
        if (w != null) {
            try {
                w.ready.get(max.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                // over, or not within max
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * What sandbox {@code sandboxId} prepared, for the first create of container {@code name} that began at
     * {@code createBegan} ({@link System#nanoTime()}) and asks for {@code ref} with {@code token}; waits
     * while the closure is still being fetched. Empty when the container must resolve itself.
     */
    static Optional<Taken> take(String sandboxId, String name, EnvironmentRef ref, Optional<String> token,
                                          long createBegan) {
        Work w = sandboxId == null ? null : BY_SANDBOX.get(sandboxId);
        if (w == null || !w.ref.equals(ref) || !w.token.equals(token)) {
            return Optional.empty();
        }
        try {
            // the sandbox asked first: its answer comes sooner than a new request's (a hub that does not
            // answer at all costs this container AWAIT_ANSWER, then it asks itself)
            w.done.await(AWAIT_ANSWER.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            if (w.answered == 0 || !w.fromHub || createBegan - w.answered > FRESH.toNanos() || !w.started.add(name)) {
                return Optional.empty();
            }
            Ready r = w.ready.get();
            return r == null ? Optional.empty() : Optional.of(new Taken(r, w.warnings, w.launched, w.timings));
        } catch (ExecutionException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
