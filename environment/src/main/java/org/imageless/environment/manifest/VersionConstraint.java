package org.imageless.environment.manifest;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code version} of a catalog install entry. Flox sends it to the catalog, which treats a string
 * starting with {@code =} as an exact version (any text) and anything else as a semver range in the
 * node-semver syntax: comparators {@code ^ ~ >= <= > < =} on partial versions with {@code x}/{@code *}
 * wildcards, space-separated sets joined by {@code ||}, and hyphen ranges {@code a - b}. A plain
 * version such as {@code 1.2.3} is a range that matches only itself.
 *
 * <p>{@link #parse} gives a constraint that {@link #matches} versions with node-semver's semantics
 * ({@code ^1.2} is {@code >=1.2.0 <2.0.0-0}, {@code ~1.2} is {@code >=1.2.0 <1.3.0-0}, {@code 1.x}
 * and {@code 1} are {@code >=1.0.0 <2.0.0-0}, {@code >1.2} is {@code >=1.3.0}, …); a pre-release
 * version matches only a comparator set that names a pre-release of the same
 * {@code MAJOR.MINOR.PATCH}. Versions that are not semver ({@link SemanticVersion#parse}) match
 * only an exact {@code =} constraint.
 */
public final class VersionConstraint {

    private static final String PARTIAL =
            "(?:[xX*]|0|[1-9][0-9]*)(?:\\.(?:[xX*]|0|[1-9][0-9]*)(?:\\.(?:[xX*]|0|[1-9][0-9]*)"
                    + "(?:-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?)?)?";
    private static final Pattern COMPARATOR = Pattern.compile("(?:\\^|~|>=|<=|>|<|=)?\\s*v?" + PARTIAL);
    private static final Pattern HYPHEN = Pattern.compile("v?" + PARTIAL + "\\s+-\\s+v?" + PARTIAL);

    private static final Pattern PARTS = Pattern.compile(
            "(\\^|~|>=|<=|>|<|=)?v?([xX*]|0|[1-9][0-9]*)(?:\\.([xX*]|0|[1-9][0-9]*)(?:\\.([xX*]|0|[1-9][0-9]*)"
                    + "(?:-([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?)?)?");

    private final String text;
    private final String exact;
    private final List<List<Bound>> sets;

    private VersionConstraint(String text, String exact, List<List<Bound>> sets) {
        this.text = text;
        this.exact = exact;
        this.sets = sets;
    }

    /** The constraint {@code text}; an {@link IllegalArgumentException} says what is wrong with a bad one. */
    public static VersionConstraint parse(String text) {
        String problem = problem(text);
        if (problem != null) {
            throw new IllegalArgumentException("version constraint " + problem);
        }
        String t = text.strip();
        if (t.startsWith("=") && !t.startsWith("==")) {
            return new VersionConstraint(text, t.substring(1).strip(), List.of());
        }
        List<List<Bound>> sets = new ArrayList<>();
        for (String set : t.split("\\|\\|")) {
            String s = set.strip();
            List<Bound> bounds = new ArrayList<>();
            if (HYPHEN.matcher(s).matches()) {
                String[] ends = s.split("\\s+-\\s+");
                bounds.addAll(desugar(">=", partial(ends[0])));
                bounds.addAll(desugar("<=", partial(ends[1])));
            } else {
                for (String c : s.replaceAll("(\\^|~|>=|<=|>|<|=)\\s+", "$1").split("\\s+")) {
                    Matcher m = PARTS.matcher(c);
                    if (!m.matches()) {
                        throw new IllegalArgumentException("version constraint '" + text + "' is not a semver range");
                    }
                    bounds.addAll(desugar(m.group(1) == null ? "=" : m.group(1), partial(c.replaceFirst("^[\\^~<>=]+v?", ""))));
                }
            }
            sets.add(List.copyOf(bounds));
        }
        return new VersionConstraint(text, null, List.copyOf(sets));
    }

    /** The constraint as written. */
    public String text() {
        return text;
    }

    /** Whether {@code version} satisfies this constraint. */
    public boolean matches(String version) {
        if (exact != null) {
            return version.equals(exact);
        }
        Optional<SemanticVersion> parsed = SemanticVersion.parse(version);
        if (parsed.isEmpty()) {
            return false;
        }
        SemanticVersion v = parsed.get();
        for (List<Bound> set : sets) {
            if (set.stream().allMatch(b -> b.test(v))
                    && (!v.isPreRelease() || set.stream().anyMatch(b -> !b.synthetic() && b.version().isPreRelease()
                    && b.version().sameRelease(v)))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return text;
    }

    /** A partial version: {@code null} parts are wildcards (absent or x). */
    private record Partial(Long major, Long minor, Long patch, List<String> pre) {
        SemanticVersion low() {
            return new SemanticVersion(major == null ? 0 : major, minor == null ? 0 : minor, patch == null ? 0 : patch, pre);
        }
    }

    private static Partial partial(String text) {
        Matcher m = PARTS.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a version");
        }
        Long major = number(m.group(2));
        Long minor = major == null ? null : number(m.group(3));
        Long patch = minor == null ? null : number(m.group(4));
        return new Partial(major, minor, patch, patch == null || m.group(5) == null ? List.of() : List.of(m.group(5).split("\\.")));
    }

    private static Long number(String part) {
        return part == null || part.equalsIgnoreCase("x") || part.equals("*") ? null : Long.parseLong(part);
    }

    /** One comparison with a version; synthetic bounds ({@code <2.0.0-0}) never admit pre-releases. */
    private record Bound(String op, SemanticVersion version, boolean synthetic) {
        boolean test(SemanticVersion v) {
            int c = v.compareTo(version);
            return switch (op) {
                case ">" -> c > 0;
                case ">=" -> c >= 0;
                case "<" -> c < 0;
                case "<=" -> c <= 0;
                default -> c == 0;
            };
        }
    }

    private static SemanticVersion ceiling(long major, long minor, long patch) {
        return new SemanticVersion(major, minor, patch, List.of("0"));
    }

    /** The next version above the wildcard part of {@code p} ({@code 1.2} → {@code 1.3.0-0}). */
    private static SemanticVersion next(Partial p) {
        if (p.minor() == null) {
            return ceiling(p.major() + 1, 0, 0);
        }
        return ceiling(p.major(), p.minor() + 1, 0);
    }

    private static List<Bound> desugar(String op, Partial p) {
        boolean full = p.patch() != null;
        if (p.major() == null) {
            return op.equals("<") || op.equals(">") ? List.of(new Bound("<", ceiling(0, 0, 0), true))
                    : List.of(new Bound(">=", new SemanticVersion(0, 0, 0, List.of()), true));
        }
        SemanticVersion low = p.low();
        Bound atLeast = new Bound(">=", low, false);
        return switch (op) {
            case "^" -> {
                SemanticVersion high;
                if (p.major() > 0 || p.minor() == null) {
                    high = ceiling(p.major() + 1, 0, 0);
                } else if (p.minor() > 0 || p.patch() == null) {
                    high = ceiling(0, p.minor() + 1, 0);
                } else {
                    high = ceiling(0, 0, p.patch() + 1);
                }
                yield List.of(atLeast, new Bound("<", high, true));
            }
            case "~" -> List.of(atLeast, new Bound("<", next(p.minor() == null ? p : new Partial(p.major(), p.minor(), null, List.of())), true));
            case "=" -> full ? List.of(new Bound("=", low, false)) : List.of(atLeast, new Bound("<", next(p), true));
            case ">" -> full ? List.of(new Bound(">", low, false)) : List.of(new Bound(">=", next(p), true));
            case ">=" -> List.of(atLeast);
            case "<" -> List.of(new Bound("<", full ? low : new SemanticVersion(low.major(), low.minor(), low.patch(), List.of("0")), !full));
            case "<=" -> full ? List.of(new Bound("<=", low, false)) : List.of(new Bound("<", next(p), true));
            default -> throw new IllegalArgumentException("unknown comparator '" + op + "'");
        };
    }

    /** Null if {@code text} is acceptable, else what is wrong with it. */
    public static String problem(String text) {
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
