package org.imageless.hub.cache;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.imageless.hub.auth.Access;
import org.imageless.hub.auth.Principal;
import org.imageless.hub.auth.Visibility;
import org.imageless.nix.store.StorePath;

/**
 * Roots of the binary cache's read rule that one feature contributes (the environments' locks, the
 * catalog's outputs), by visibility: the public ones, and the private ones by their owner.
 */
public record VisibleRoots(Set<StorePath> publicRoots, Map<String, Set<StorePath>> privateByOwner, Set<StorePath> all) {

    /** Frozen copies of what a loader gathered. */
    public static VisibleRoots of(Set<StorePath> publicRoots, Map<String, ? extends Set<StorePath>> privateByOwner) {
        Map<String, Set<StorePath>> frozen = new HashMap<>();
        privateByOwner.forEach((k, v) -> frozen.put(k, Set.copyOf(v)));
        Set<StorePath> all = new HashSet<>(publicRoots);
        privateByOwner.values().forEach(all::addAll);
        return new VisibleRoots(Set.copyOf(publicRoots), Map.copyOf(frozen), Set.copyOf(all));
    }

    /** The public roots and those of the owners whose private things {@code principal} may read. */
    public Collection<StorePath> readableBy(Principal principal, Access access) {
        if (privateByOwner.isEmpty()) {
            return publicRoots;
        }
        List<StorePath> result = null;
        for (Map.Entry<String, Set<StorePath>> e : privateByOwner.entrySet()) {
            if (access.canRead(principal, e.getKey(), Visibility.PRIVATE)) {
                if (result == null) {
                    result = new ArrayList<>(publicRoots);
                }
                result.addAll(e.getValue());
            }
        }
        return result == null ? publicRoots : result;
    }
}
