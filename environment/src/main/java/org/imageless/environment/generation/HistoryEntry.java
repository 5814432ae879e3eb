package org.imageless.environment.generation;

import java.util.List;
import org.imageless.nix.NixException;

/**
 * One entry of {@code metadata.json}'s {@code history} (Flox's {@code HistorySpec}): who made which
 * change, where and when, and which generation became live. Serialized by Flox in this field order:
 * {@code info} ({@code {"kind": ..., <payload>}}), {@code author}, {@code hostname}, {@code timestamp}
 * (Unix seconds), {@code current_generation} and {@code previous_generation} (decimal strings, the
 * latter {@code null} for the first generation).
 *
 * @param previousGeneration {@code null} when no generation was live before
 */
public record HistoryEntry(Change change, String author, String hostname, long timestamp, int currentGeneration,
                           Integer previousGeneration) {

    public HistoryEntry {
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
