package org.imageless.environment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.Iterator;
import java.util.Map;

/**
 * Writes JSON the way Flox's serde_json does, so files we write are byte-identical to Flox's:
 * {@link #pretty} is {@code serde_json::to_string_pretty} (two-space indent, a colon and one space
 * after keys, empty containers as two characters), {@link #compact} is {@code serde_json::to_string}.
 * Strings escape only the quote, the backslash and control characters (as serde_json does: short
 * escapes where JSON has them, else a six-character unicode escape); everything else is written as is.
 */
public final class FloxJson {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private FloxJson() {
    }

    /** Reads JSON text; a syntax error names {@code fileName} and the line where it was found. */
    public static JsonNode read(String json, String fileName) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 1 : Math.max(1, e.getLocation().getLineNr());
            throw new EnvironmentFormatException(fileName, line, "", "not valid JSON: " + e.getOriginalMessage());
        }
    }

    public static String pretty(JsonNode node) {
        StringBuilder b = new StringBuilder();
        write(b, node, 0, true);
        return b.toString();
    }

    public static String compact(JsonNode node) {
        StringBuilder b = new StringBuilder();
        write(b, node, 0, false);
        return b.toString();
    }

    private static void write(StringBuilder b, JsonNode node, int depth, boolean pretty) {
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            if (!it.hasNext()) {
                b.append("{}");
                return;
            }
            b.append('{');
            boolean first = true;
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!first) {
                    b.append(',');
                }
                first = false;
                newline(b, depth + 1, pretty);
                string(b, e.getKey());
                b.append(pretty ? ": " : ":");
                write(b, e.getValue(), depth + 1, pretty);
            }
            newline(b, depth, pretty);
            b.append('}');
        } else if (node.isArray()) {
            if (node.isEmpty()) {
                b.append("[]");
                return;
            }
            b.append('[');
            boolean first = true;
            for (JsonNode item : node) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                newline(b, depth + 1, pretty);
                write(b, item, depth + 1, pretty);
            }
            newline(b, depth, pretty);
            b.append(']');
        } else if (node.isTextual()) {
            string(b, node.asText());
        } else {
            b.append(node.toString());
        }
    }

    private static void newline(StringBuilder b, int depth, boolean pretty) {
        if (pretty) {
            b.append('\n').append("  ".repeat(depth));
        }
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) {
                        b.append("\\u%04x".formatted((int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
