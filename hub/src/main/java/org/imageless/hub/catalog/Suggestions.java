package org.imageless.hub.catalog;

import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;

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
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }
}
