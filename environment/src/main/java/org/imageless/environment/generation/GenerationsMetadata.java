package org.imageless.environment.generation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.imageless.environment.EnvironmentFormatException;
import org.imageless.environment.FloxJson;
import org.imageless.environment.JsonLines;
import org.imageless.nix.NixException;

/**
 * {@code metadata.json} of a FloxHub generations branch, version 2 (flox/flox
 * {@code cli/flox-rust-sdk/src/models/environment/generations.rs}, {@code AllGenerationsMetadata}):
 * {@code {"version":2,"history":[...],"total_generations":N}}, written by Flox with
 * {@code serde_json::to_string} (compact, no final newline). An entry's change is flattened into it
 * ({@code "kind"} plus its payload key), and {@code command} and {@code previous_generation} are left out
 * when absent ({@code skip_serializing_none}). Flox keeps keys it does not know; the hub, which validates
 * every push, refuses them, naming the key.
 *
 * <p>Consistency (what Flox's {@code add_generation}/{@code switch_generation} maintain and the hub
 * checks on push): generations are created in order 1, 2, 3, ...; {@code total_generations} is the
 * number created; each entry's {@code previous_generation} is the generation live before it; a switch
 * goes to an existing generation other than the live one.
 */
public record GenerationsMetadata(List<HistoryEntry> history, int totalGenerations) {

    public static final String FILE_NAME = "metadata.json";
    private static final Set<String> TOP = Set.of("version", "history", "total_generations");
    private static final Set<String> ENTRY_FIELDS = Set.of("kind", "author", "hostname", "command", "timestamp",
            "current_generation", "previous_generation");

    public GenerationsMetadata {
        history = List.copyOf(history);
        int created = 0;
        Integer live = null;
        for (int i = 0; i < history.size(); i++) {
            HistoryEntry e = history.get(i);
            if (!java.util.Objects.equals(e.previousGeneration(), live)) {
                throw NixException.invalid("history[%d]: previous_generation is %s but generation %s was live",
                        i, e.previousGeneration(), live);
            }
            if (e.createsGeneration()) {
                if (e.currentGeneration() != created + 1) {
                    throw NixException.invalid("history[%d]: creates generation %d, expected %d (generations are numbered in order)",
                            i, e.currentGeneration(), created + 1);
                }
                created++;
            } else {
                if (e.currentGeneration() > created) {
                    throw NixException.invalid("history[%d]: switches to generation %d, which does not exist (%d created)",
                            i, e.currentGeneration(), created);
                }
                if (e.currentGeneration() == live) {
                    throw NixException.invalid("history[%d]: switches to generation %d, which is already live",
                            i, e.currentGeneration());
                }
            }
            live = e.currentGeneration();
        }
        if (totalGenerations != created) {
            throw NixException.invalid("total_generations is %d but history creates %d", totalGenerations, created);
        }
    }

    /** Metadata of a branch without generations, as Flox initialises it. */
    public static GenerationsMetadata empty() {
        return new GenerationsMetadata(List.of(), 0);
    }

    /** The live generation: the last history entry's {@code current_generation}; empty without history. */
    public OptionalInt liveGeneration() {
        return history.isEmpty() ? OptionalInt.empty() : OptionalInt.of(history.getLast().currentGeneration());
    }

    /** Generations 1..{@link #totalGenerations()}. */
    public SortedSet<Integer> generations() {
        SortedSet<Integer> result = new TreeSet<>();
        for (int i = 1; i <= totalGenerations; i++) {
            result.add(i);
        }
        return result;
    }

    /** The entry that created generation {@code number}. */
    public HistoryEntry creation(int number) {
        return history.stream().filter(e -> e.createsGeneration() && e.currentGeneration() == number).findFirst()
                .orElseThrow(() -> new NixException(NixException.Kind.NOT_FOUND,
                        "generation %d does not exist (%d generations)".formatted(number, totalGenerations)));
    }

    /** This metadata with {@code entry} appended (validated). */
    public GenerationsMetadata append(HistoryEntry entry) {
        List<HistoryEntry> next = new ArrayList<>(history);
        next.add(entry);
        return new GenerationsMetadata(next, totalGenerations + (entry.createsGeneration() ? 1 : 0));
    }

    /**
     * Checks that this metadata only appends to {@code previous}: same entries first, in the same
     * order, then new ones. This is the hub's push rule: history is never rewritten.
     *
     * @throws NixException of kind INVALID naming the first entry that differs
     */
    public void checkAppendOnly(GenerationsMetadata previous) {
        if (history.size() < previous.history.size()) {
            throw NixException.invalid("history has %d entries but had %d: entries may only be appended",
                    history.size(), previous.history.size());
        }
        for (int i = 0; i < previous.history.size(); i++) {
            if (!history.get(i).equals(previous.history.get(i))) {
                throw NixException.invalid("history[%d] was changed (was %s, now %s): entries may only be appended",
                        i, previous.history.get(i), history.get(i));
            }
        }
    }

    /** What a git tree lacks or has too much for this metadata; both empty when it matches. */
    public record TreeCheck(SortedSet<String> missing, SortedSet<String> extra) {
        public boolean ok() {
            return missing.isEmpty() && extra.isEmpty();
        }
    }

    /**
     * Compares the file paths of a generations branch's tree ({@code metadata.json},
     * {@code 1/env/manifest.toml}, ...) with this metadata: each generation needs its
     * {@code <N>/env/manifest.toml} (the lock is optional, as in Flox); files of unknown generations
     * or outside generation directories are extra.
     */
    public TreeCheck checkTree(Set<String> paths) {
        SortedSet<String> missing = new TreeSet<>();
        SortedSet<String> extra = new TreeSet<>();
        if (!paths.contains(FILE_NAME)) {
            missing.add(FILE_NAME);
        }
        for (int n : generations()) {
            if (!paths.contains(Generation.manifestPath(n))) {
                missing.add(Generation.manifestPath(n));
            }
        }
        for (String path : paths) {
            if (path.equals(FILE_NAME)) {
                continue;
            }
            int slash = path.indexOf('/');
            String first = slash < 0 ? path : path.substring(0, slash);
            boolean known = first.matches("[1-9][0-9]{0,8}") && Integer.parseInt(first) <= totalGenerations
                    && path.startsWith(first + "/env/");
            if (!known) {
                extra.add(path);
            }
        }
        return new TreeCheck(missing, extra);
    }

    // -- JSON

    /** Parses {@code metadata.json}; {@code fileName} is used in errors. */
    public static GenerationsMetadata parse(String json, String fileName) {
        JsonNode root = FloxJson.read(json, fileName);
        JsonLines lines = JsonLines.index(json);
        Reader r = new Reader(fileName, lines);
        if (!(root instanceof ObjectNode object)) {
            throw r.error(List.of(), "expected a JSON object");
        }
        r.keys(object, List.of(), TOP);
        JsonNode version = r.required(object, List.of(), "version");
        if (!version.isIntegralNumber() || version.asInt() != 2) {
            throw r.error(List.of("version"), "metadata version " + version + " is not supported: expected 2");
        }
        JsonNode history = r.required(object, List.of(), "history");
        if (!history.isArray()) {
            throw r.error(List.of("history"), "expected a list");
        }
        List<HistoryEntry> entries = new ArrayList<>();
        for (int i = 0; i < history.size(); i++) {
            entries.add(r.entry(history.get(i), List.of("history", Integer.toString(i))));
        }
        JsonNode total = r.required(object, List.of(), "total_generations");
        if (!total.isIntegralNumber() || total.asLong() < 0 || total.asLong() > Integer.MAX_VALUE) {
            throw r.error(List.of("total_generations"), "expected a non-negative integer");
        }
        try {
            return new GenerationsMetadata(entries, total.asInt());
        } catch (EnvironmentFormatException e) {
            throw e;
        } catch (NixException e) {
            throw r.error(List.of("history"), e.getMessage());
        }
    }

    /** The metadata exactly as Flox writes it: compact JSON, no final newline. */
    public String format() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("version", 2);
        ArrayNode history = root.putArray("history");
        for (HistoryEntry e : this.history) {
            ObjectNode entry = history.addObject();
            entry.put("kind", e.change().kind().json());
            if (e.change().targets() != null) {
                ArrayNode targets = entry.putArray("targets");
                e.change().targets().forEach(targets::add);
            } else if (e.change().text() != null) {
                entry.put(e.change().kind().payloadKey(), e.change().text());
            }
            entry.put("author", e.author());
            entry.put("hostname", e.hostname());
            if (e.command() != null) {
                ArrayNode command = entry.putArray("command");
                e.command().forEach(command::add);
            }
            entry.put("timestamp", e.timestamp());
            entry.put("current_generation", Integer.toString(e.currentGeneration()));
            if (e.previousGeneration() != null) {
                entry.put("previous_generation", Integer.toString(e.previousGeneration()));
            }
        }
        root.put("total_generations", totalGenerations);
        return FloxJson.compact(root);
    }

    private record Reader(String file, JsonLines lines) {

        HistoryEntry entry(JsonNode node, List<String> path) {
            if (!(node instanceof ObjectNode e)) {
                throw error(path, "expected an object");
            }
            String kindText = text(e, path, "kind");
            HistoryEntry.Kind kind = HistoryEntry.Kind.fromJson(kindText);
            if (kind == null) {
                throw error(child(path, "kind"), "unknown kind '" + kindText + "'");
            }
            Set<String> allowed = new java.util.HashSet<>(ENTRY_FIELDS);
            if (kind.payloadKey() != null) {
                allowed.add(kind.payloadKey());
            }
            keys(e, path, allowed);
            List<String> targets = null;
            String text = null;
            if ("targets".equals(kind.payloadKey())) {
                targets = strings(required(e, path, "targets"), child(path, "targets"));
            } else if (kind.payloadKey() != null) {
                text = text(e, path, kind.payloadKey());
            }
            JsonNode commandNode = e.get("command");
            List<String> command = commandNode == null || commandNode.isNull() ? null
                    : strings(commandNode, child(path, "command"));
            JsonNode timestamp = required(e, path, "timestamp");
            if (!timestamp.isIntegralNumber()) {
                throw error(child(path, "timestamp"), "expected Unix seconds");
            }
            int current = generation(required(e, path, "current_generation"), child(path, "current_generation"));
            JsonNode prev = e.get("previous_generation");
            Integer previous = prev == null || prev.isNull() ? null : generation(prev, child(path, "previous_generation"));
            try {
                return new HistoryEntry(new HistoryEntry.Change(kind, targets, text), text(e, path, "author"),
                        text(e, path, "hostname"), command, timestamp.asLong(), current, previous);
            } catch (NixException ex) {
                throw error(path, ex.getMessage());
            }
        }

        List<String> strings(JsonNode node, List<String> path) {
            if (!node.isArray()) {
                throw error(path, "expected a list of strings");
            }
            List<String> result = new ArrayList<>();
            for (JsonNode item : node) {
                if (!item.isTextual()) {
                    throw error(path, "expected a list of strings");
                }
                result.add(item.asText());
            }
            return result;
        }

        int generation(JsonNode node, List<String> path) {
            if (!node.isTextual() || !node.asText().matches("[1-9][0-9]{0,8}")) {
                throw error(path, "expected a generation number as a string such as \"1\", got " + node);
            }
            return Integer.parseInt(node.asText());
        }

        void keys(ObjectNode node, List<String> path, Set<String> allowed) {
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                if (!allowed.contains(key)) {
                    throw error(child(path, key), "unknown key: expected " + allowed.stream().sorted().toList());
                }
            }
        }

        JsonNode required(ObjectNode node, List<String> path, String key) {
            JsonNode value = node.get(key);
            if (value == null) {
                throw error(path, "missing required key '" + key + "'");
            }
            return value;
        }

        String text(ObjectNode node, List<String> path, String key) {
            JsonNode value = required(node, path, key);
            if (!value.isTextual()) {
                throw error(child(path, key), "expected a string");
            }
            return value.asText();
        }

        static List<String> child(List<String> path, String key) {
            List<String> result = new ArrayList<>(path);
            result.add(key);
            return List.copyOf(result);
        }

        EnvironmentFormatException error(List<String> path, String problem) {
            StringBuilder key = new StringBuilder();
            for (String part : path) {
                if (part.matches("[0-9]+")) {
                    key.append('[').append(part).append(']');
                } else {
                    key.append(key.isEmpty() ? "" : ".").append(part);
                }
            }
            return new EnvironmentFormatException(file, lines.lineOf(path), key.toString(), problem);
        }
    }
}
