package org.imageless.environment.manifest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each key of a TOML document is, by line. Jackson's TOML reader builds a tree and hands out
 * tokens without their source locations, so errors about values would have no line; this scanner
 * recovers them from the text: table headers ({@code [a.b]}, {@code [[a]]}) and key/value lines
 * ({@code a.b = ...}), skipping comments and the inside of multi-line strings and arrays. Keys inside
 * inline tables are attributed to the line of the table's key, which is the same line in the usual
 * one-line form.
 */
final class TomlLines {

    private final Map<List<String>, Integer> lines = new HashMap<>();
    /** Per line (0-based): true when the line continues a multi-line string or array of the line before. */
    private boolean[] continuation = new boolean[0];

    private TomlLines() {
    }

    static TomlLines scan(String text) {
        TomlLines result = new TomlLines();
        String[] all = text.split("\n", -1);
        result.continuation = new boolean[all.length];
        List<String> table = List.of();
        String openString = null; // the delimiter of a multi-line string we are inside
        int bracketDepth = 0; // open '[' / '{' of a multi-line value
        for (int i = 0; i < all.length; i++) {
            int lineNr = i + 1;
            String line = all[i];
            result.continuation[i] = openString != null || bracketDepth > 0;
            if (openString != null) {
                int end = line.indexOf(openString);
                if (end < 0) {
                    continue;
                }
                line = line.substring(end + 3);
                openString = null;
                ValueScan scan = scanValue(line, bracketDepth);
                bracketDepth = scan.depth;
                openString = scan.openString;
                continue;
            }
            if (bracketDepth > 0) {
                ValueScan scan = scanValue(line, bracketDepth);
                bracketDepth = scan.depth;
                openString = scan.openString;
                continue;
            }
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            if (trimmed.startsWith("[")) {
                boolean array = trimmed.startsWith("[[");
                int[] pos = {array ? 2 : 1};
                List<String> key = parseKey(trimmed, pos);
                if (key != null) {
                    table = key;
                    result.lines.putIfAbsent(key, lineNr);
                }
                continue;
            }
            int[] pos = {0};
            List<String> key = parseKey(trimmed, pos);
            if (key == null) {
                continue;
            }
            skipSpace(trimmed, pos);
            if (pos[0] >= trimmed.length() || trimmed.charAt(pos[0]) != '=') {
                continue;
            }
            List<String> full = new ArrayList<>(table);
            full.addAll(key);
            for (int n = table.size() + 1; n <= full.size(); n++) {
                result.lines.putIfAbsent(List.copyOf(full.subList(0, n)), lineNr);
            }
            ValueScan scan = scanValue(trimmed.substring(pos[0] + 1), 0);
            bracketDepth = scan.depth;
            openString = scan.openString;
        }
        return result;
    }

    /** The line of {@code path}, else of its longest known prefix, else 1. */
    int lineOf(List<String> path) {
        for (int n = path.size(); n > 0; n--) {
            Integer line = lines.get(path.subList(0, n));
            if (line != null) {
                return line;
            }
        }
        return 1;
    }

    /** Whether line {@code index} (0-based) continues a value begun on an earlier line. */
    boolean isContinuation(int index) {
        return index < continuation.length && continuation[index];
    }

    private record ValueScan(int depth, String openString) {
    }

    /** Follows a value's brackets and strings to see whether it continues on the next line. */
    private static ValueScan scanValue(String s, int depth) {
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '#') {
                break;
            }
            if (s.startsWith("\"\"\"", i) || s.startsWith("'''", i)) {
                String delim = s.substring(i, i + 3);
                int end = s.indexOf(delim, i + 3);
                if (end < 0) {
                    return new ValueScan(depth, delim);
                }
                i = end + 3;
                continue;
            }
            if (c == '"' || c == '\'') {
                i = skipQuoted(s, i);
                continue;
            }
            if (c == '[' || c == '{') {
                depth++;
            } else if (c == ']' || c == '}') {
                depth = Math.max(0, depth - 1);
            }
            i++;
        }
        return new ValueScan(depth, null);
    }

    private static int skipQuoted(String s, int start) {
        char quote = s.charAt(start);
        int i = start + 1;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (quote == '"' && c == '\\') {
                i += 2;
                continue;
            }
            if (c == quote) {
                return i + 1;
            }
            i++;
        }
        return i;
    }

    private static void skipSpace(String s, int[] pos) {
        while (pos[0] < s.length() && (s.charAt(pos[0]) == ' ' || s.charAt(pos[0]) == '\t')) {
            pos[0]++;
        }
    }

    /** Parses a dotted key at {@code pos}; null if there is none. */
    static List<String> parseKey(String s, int[] pos) {
        List<String> parts = new ArrayList<>();
        while (true) {
            skipSpace(s, pos);
            if (pos[0] >= s.length()) {
                return null;
            }
            char c = s.charAt(pos[0]);
            if (c == '"' || c == '\'') {
                int end = skipQuoted(s, pos[0]);
                if (end > s.length() || s.charAt(end - 1) != c || end - pos[0] < 2) {
                    return null;
                }
                String raw = s.substring(pos[0] + 1, end - 1);
                parts.add(c == '"' ? unescape(raw) : raw);
                pos[0] = end;
            } else {
                int start = pos[0];
                while (pos[0] < s.length() && isBareKeyChar(s.charAt(pos[0]))) {
                    pos[0]++;
                }
                if (start == pos[0]) {
                    return null;
                }
                parts.add(s.substring(start, pos[0]));
            }
            skipSpace(s, pos);
            if (pos[0] < s.length() && s.charAt(pos[0]) == '.') {
                pos[0]++;
                continue;
            }
            return parts;
        }
    }

    static boolean isBareKeyChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }

    static boolean isBareKey(String key) {
        if (key.isEmpty()) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            if (!isBareKeyChar(key.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static String unescape(String raw) {
        if (raw.indexOf('\\') < 0) {
            return raw;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '\\' && i + 1 < raw.length()) {
                char n = raw.charAt(++i);
                switch (n) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case '"' -> b.append('"');
                    case '\\' -> b.append('\\');
                    default -> b.append('\\').append(n);
                }
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
