package org.imageless.hub.catalog;

import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import org.apache.commons.text.similarity.LevenshteinDistance;

/** "Did you mean …": the closest name by edit distance, when it is close enough to be a typo. */
final class Suggestions {

    private Suggestions() {}

    /**
     * The candidate closest to {@code wanted} (case-insensitive Levenshtein distance, ties by name),
     * if within a third of the longer name's length (at least 1), or a candidate whose name part
     * equals {@code wanted} (a bare {@code hello} suggests {@code acme/hello}).
     */
    static Optional<String> closest(String wanted, Collection<String> candidates) {
        String w = wanted.toLowerCase(Locale.ROOT);
        return candidates.stream()
                .filter(c -> !c.equals(wanted))
                .filter(c -> c.substring(c.indexOf('/') + 1).equalsIgnoreCase(w)
                        || distance(w, c.toLowerCase(Locale.ROOT)) <= Math.max(1, Math.max(w.length(), c.length()) / 3))
                .min(Comparator.<String>comparingInt(c -> c.substring(c.indexOf('/') + 1).equalsIgnoreCase(w) ? 0
                        : distance(w, c.toLowerCase(Locale.ROOT))).thenComparing(Comparator.naturalOrder()));
    }

    static int distance(String a, String b) {
        return LevenshteinDistance.getDefaultInstance().apply(a, b);
    }
}
