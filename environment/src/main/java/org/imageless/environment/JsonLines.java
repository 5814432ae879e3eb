package org.imageless.environment;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The line of every value in a JSON document, by JSON pointer ({@code /packages/3/outputs/out}), so
 * errors found on the tree can name where they are in the text. Read once with Jackson's streaming
 * parser, which knows token locations.
 */
public final class JsonLines {

    /** A parser factory is all a token walk needs (a mapper per call cost every lock parse its construction). */
    private static final com.fasterxml.jackson.core.JsonFactory FACTORY = new com.fasterxml.jackson.core.JsonFactory();

    private final Map<String, Integer> lines;

    private JsonLines(Map<String, Integer> lines) {
        this.lines = lines;
    }

    /** Indexes {@code json}; the caller has already parsed it successfully. */
    public static JsonLines index(String json) {
        Map<String, Integer> lines = new HashMap<>();
        try (JsonParser p = FACTORY.createParser(json)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (t == JsonToken.FIELD_NAME || t.isScalarValue() || t.isStructStart()) {
                    String pointer = p.getParsingContext().pathAsPointer().toString();
                    if (t.isStructStart() && p.getParsingContext().getParent() != null) {
                        pointer = p.getParsingContext().getParent().pathAsPointer().toString();
                    }
                    lines.putIfAbsent(pointer, p.currentTokenLocation().getLineNr());
                }
            }
        } catch (IOException e) {
            // already parsed once: keep what was indexed
        }
        return new JsonLines(lines);
    }

    /** The line of the value at {@code path} (keys and array indexes), else of its longest known prefix, else 1. */
    public int lineOf(List<String> path) {
        for (int n = path.size(); n >= 0; n--) {
            Integer line = lines.get(pointer(path.subList(0, n)));
            if (line != null) {
                return line;
            }
        }
        return 1;
    }

    static String pointer(List<String> path) {
        StringBuilder b = new StringBuilder();
        for (String part : path) {
            b.append('/').append(part.replace("~", "~0").replace("/", "~1"));
        }
        return b.toString();
    }
}
