package org.imageless.environment.manifest;

import java.util.regex.Pattern;

/**
 * The {@code version} of a catalog install entry. Flox sends it to the catalog, which treats a string
 * starting with {@code =} as an exact version (any text) and anything else as a semver range in the
 * node-semver syntax: comparators {@code ^ ~ >= <= > < =} on partial versions with {@code x}/{@code *}
 * wildcards, space-separated sets joined by {@code ||}, and hyphen ranges {@code a - b}. A plain
 * version such as {@code 1.2.3} is a range that matches only itself.
 */
final class VersionConstraint {

    private static final String PARTIAL =
            "(?:[xX*]|0|[1-9][0-9]*)(?:\\.(?:[xX*]|0|[1-9][0-9]*)(?:\\.(?:[xX*]|0|[1-9][0-9]*)"
                    + "(?:-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?)?)?";
    private static final Pattern COMPARATOR = Pattern.compile("(?:\\^|~|>=|<=|>|<|=)?\\s*v?" + PARTIAL);
    private static final Pattern HYPHEN = Pattern.compile("v?" + PARTIAL + "\\s+-\\s+v?" + PARTIAL);

    private VersionConstraint() {
    }

    /** Null if {@code text} is acceptable, else what is wrong with it. */
    static String problem(String text) {
        if (text.isBlank()) {
            return "is empty: expected a semver range such as \"^1.2\" or an exact version \"=1.2.3\"";
        }
        if (text.startsWith("=") && !text.startsWith("==")) {
            if (text.length() == 1) {
                return "'=' needs a version after it";
            }
            return null;
        }
        for (String set : text.split("\\|\\|", -1)) {
            String s = set.strip();
            if (s.isEmpty()) {
                return "'" + text + "' has an empty alternative around '||'";
            }
            if (HYPHEN.matcher(s).matches()) {
                continue;
            }
            String normalized = s.replaceAll("(\\^|~|>=|<=|>|<|=)\\s+", "$1");
            for (String comparator : normalized.split("\\s+")) {
                if (!COMPARATOR.matcher(comparator).matches()) {
                    return "'" + text + "' is not a semver range (at '" + comparator
                            + "'): expected e.g. \"^1.2\", \">=1.0 <2\" or an exact version \"=" + text + "\"";
                }
            }
        }
        return null;
    }
}
