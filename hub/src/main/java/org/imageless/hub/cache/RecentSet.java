package org.imageless.hub.cache;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** A set that keeps the {@code max} elements added most recently, dropping the oldest; thread-safe. */
final class RecentSet<T> {

    private final Map<T, Boolean> elements;

    RecentSet(int max) {
        this.elements = Collections.synchronizedMap(new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<T, Boolean> eldest) {
                return size() > max;
            }
        });
    }

    void add(T element) {
        elements.put(element, Boolean.TRUE);
    }

    boolean contains(T element) {
        return elements.containsKey(element);
    }
}
