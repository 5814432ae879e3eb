package org.imageless.environment.generation;

import java.util.List;
import org.imageless.nix.NixException;

/**
 * One entry of {@code metadata.json}'s {@code history} (Flox's {@code HistorySpec}): who made which
 * change, where, with which command and when, and which generation became live. Serialized by Flox in
 * this field order: the change flattened into the entry ({@code "kind": ..., <payload>}), {@code author},
 * {@code hostname}, {@code command} (the argv with {@code flox} as its first element; absent when the
 * change was not made by a command, e.g. by FloxHub), {@code timestamp} (Unix seconds),
 * {@code current_generation} and {@code previous_generation} (decimal strings, the latter absent for the
 * first generation).
 *
 * @param command            the command line that made the change, or {@code null} (hub-made changes)
 * @param previousGeneration {@code null} when no generation was live before
 */
public record HistoryEntry(Change change, String author, String hostname, List<String> command, long timestamp,
                           int currentGeneration, Integer previousGeneration) {

    public HistoryEntry {
        if (command != null) {
            if (command.isEmpty()) {
                throw NixException.invalid("history entry has an empty command: leave it out (null) instead");
            }
            command = List.copyOf(command);
        }
        if (currentGeneration < 1) {
            throw NixException.invalid("history entry has current_generation %d: generations start at 1",
                    currentGeneration);
        }
        if (previousGeneration != null && previousGeneration < 1) {
            throw NixException.invalid("history entry has previous_generation %d: generations start at 1",
                    previousGeneration);
        }
        if (change.kind() == Kind.SWITCH_GENERATION && previousGeneration == null) {
            throw NixException.invalid("a switch_generation entry needs a previous_generation");
        }
    }

    /** An entry made without a command line (by FloxHub, or by a test). */
    public HistoryEntry(Change change, String author, String hostname, long timestamp, int currentGeneration,
                        Integer previousGeneration) {
        this(change, author, hostname, null, timestamp, currentGeneration, previousGeneration);
    }

    /** The recorded command line, its words joined by spaces; {@code null} when none was recorded. */
    public String commandLine() {
        return command == null ? null : String.join(" ", command);
    }

    /** A short summary of the change, in the words of Flox's {@code HistorySpec::summary}. */
    public String summary() {
        List<String> t = change.targets();
        return switch (change.kind()) {
            case IMPORT -> "imported environment";
            case MIGRATE_V1 -> change.text() + " [metadata migrated]";
            case INSTALL -> targets("installed", "package", t);
            case EDIT -> "manually edited the manifest";
            case UNINSTALL -> targets("uninstalled", "package", t);
            case UPGRADE -> t.isEmpty() ? "upgraded all packages" : targets("upgraded", "package", t);
            case INCLUDE_UPGRADE -> t.isEmpty() ? "upgraded all included environments"
                    : targets("upgraded", "included environment", t);
            case SWITCH_GENERATION -> "changed current generation " + previousGeneration + " -> " + currentGeneration;
            case OTHER -> change.text();
        };
    }

    private static String targets(String verb, String object, List<String> targets) {
        StringBuilder quoted = new StringBuilder();
        for (String target : targets) {
            quoted.append(quoted.isEmpty() ? "" : ", ").append('\'').append(target).append('\'');
        }
        return verb + " " + object + (targets.size() < 2 ? "" : "s") + " " + quoted;
    }

    /** Whether this entry created {@link #currentGeneration()} (every kind but switch_generation). */
    public boolean createsGeneration() {
        return change.kind() != Kind.SWITCH_GENERATION;
    }

    /** Flox's {@code HistoryKind}: the closed set of changes, tagged by {@code kind}. */
    public enum Kind {
        IMPORT("import", null),
        MIGRATE_V1("migrate_v1", "description"),
        INSTALL("install", "targets"),
        EDIT("edit", null),
        UNINSTALL("uninstall", "targets"),
        UPGRADE("upgrade", "targets"),
        INCLUDE_UPGRADE("include_upgrade", "targets"),
        SWITCH_GENERATION("switch_generation", null),
        OTHER("other", "summary");

        private final String json;
        private final String payloadKey;

        Kind(String json, String payloadKey) {
            this.json = json;
            this.payloadKey = payloadKey;
        }

        /** The value of {@code kind} in JSON. */
        public String json() {
            return json;
        }

        /** The one other key of {@code info} for this kind, or {@code null}. */
        public String payloadKey() {
            return payloadKey;
        }

        public static Kind fromJson(String text) {
            for (Kind k : values()) {
                if (k.json.equals(text)) {
                    return k;
                }
            }
            return null;
        }
    }

    /**
     * The {@code info} object: a kind plus its payload ({@code targets} for install, uninstall,
     * upgrade, include_upgrade; {@code description} for migrate_v1; {@code summary} for other).
     */
    public record Change(Kind kind, List<String> targets, String text) {
        public Change {
            boolean wantsTargets = "targets".equals(kind.payloadKey());
            boolean wantsText = kind.payloadKey() != null && !wantsTargets;
            if (wantsTargets != (targets != null)) {
                throw NixException.invalid("change of kind '%s' %s targets", kind.json(), wantsTargets ? "needs" : "has no");
            }
            if (wantsText != (text != null)) {
                throw NixException.invalid("change of kind '%s' %s '%s'", kind.json(), wantsText ? "needs" : "has no",
                        wantsText ? kind.payloadKey() : "text");
            }
            targets = targets == null ? null : List.copyOf(targets);
        }

        public static Change install(List<String> targets) {
            return new Change(Kind.INSTALL, targets, null);
        }

        public static Change uninstall(List<String> targets) {
            return new Change(Kind.UNINSTALL, targets, null);
        }

        public static Change edit() {
            return new Change(Kind.EDIT, null, null);
        }

        public static Change switchGeneration() {
            return new Change(Kind.SWITCH_GENERATION, null, null);
        }

        public static Change other(String summary) {
            return new Change(Kind.OTHER, null, summary);
        }
    }
}
