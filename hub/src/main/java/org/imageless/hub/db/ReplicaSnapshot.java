package org.imageless.hub.db;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;

/**
 * A value the hub loads from its database (and git) and serves from memory on hot paths (the binary
 * cache asks for readable roots on every narinfo and NAR request). It is loaded again
 * <ul>
 *   <li>at once when this process changed what it is made of ({@code version} moved on): a change is
 *       served to the very next request; concurrent callers wait for that one load;
 *   <li>in the background when it is older than {@code maxAge} (changes made by another replica on the
 *       same database): callers keep getting the current value meanwhile, so that no request pays for
 *       the load, and no crowd of requests loads it at the same moment.
 * </ul>
 */
public final class ReplicaSnapshot<T> {

    private record Loaded<T>(T value, long version, long loadedAtNanos) {}

    private final long maxAgeNanos;
    private final LongSupplier version;
    private final LongFunction<T> loader;
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private volatile Loaded<T> current;

    /** {@code loader} gets the version it loads for (read before it starts, so a change meanwhile loads again). */
    public ReplicaSnapshot(Duration maxAge, LongSupplier version, LongFunction<T> loader) {
        this.maxAgeNanos = maxAge.toNanos();
        this.version = version;
        this.loader = loader;
    }

    public T get() {
        Loaded<T> c = current;
        long v = version.getAsLong();
        if (c == null || c.version() != v) {
            return loadNow(v);
        }
        if (System.nanoTime() - c.loadedAtNanos() > maxAgeNanos && refreshing.compareAndSet(false, true)) {
            Thread.ofVirtual().name("snapshot refresh").start(() -> {
                try {
                    reload();
                } catch (RuntimeException e) {
                    // the current value stays; the next request after maxAge tries again
                } finally {
                    refreshing.set(false);
                }
            });
        }
        return c.value();
    }

    private synchronized T loadNow(long v) {
        Loaded<T> c = current;
        if (c != null && c.version() == v) {
            return c.value(); // another caller loaded it meanwhile
        }
        return load(v).value();
    }

    private synchronized void reload() {
        load(version.getAsLong());
    }

    private Loaded<T> load(long v) {
        long started = System.nanoTime();
        Loaded<T> l = new Loaded<>(loader.apply(v), v, started);
        current = l;
        return l;
    }
}
