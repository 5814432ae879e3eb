package org.imageless.nix;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Values kept in memory by key, for values that are a pure function of their key (a parsed file by
 * its content, a commit's snapshot by commit): at most {@code max} entries, and when full it starts
 * afresh, since any entry can be computed again. Thread-safe; a race computes a value twice.
 */
public final class BoundedMemo<K, V> {

    private final int max;
    private final Map<K, V> values = new ConcurrentHashMap<>();

    public BoundedMemo(int max) {
        this.max = max;
    }

    /** The value kept for {@code key}, or null. */
    public V get(K key) {
        return values.get(key);
    }

    /** Keeps {@code value} for {@code key}; returns it. */
    public V put(K key, V value) {
        if (values.size() >= max) {
            values.clear();
        }
        values.put(key, value);
        return value;
    }
}
