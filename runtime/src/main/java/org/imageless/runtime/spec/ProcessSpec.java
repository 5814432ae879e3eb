package org.imageless.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/**
 * The {@code process} of an OCI spec, or the process file of {@code runc exec --process}: a view
 * over the JSON that edits only what it is asked to and keeps every other field as it was.
 */
public final class ProcessSpec {

    private final ObjectNode node;

    ProcessSpec(ObjectNode node) {
        this.node = node;
    }

    public List<String> args() {
        List<String> out = new ArrayList<>();
        node.path("args").forEach(a -> out.add(a.asText()));
        return out;
    }

    public void setArgs(List<String> args) {
        ArrayNode array = node.putArray("args");
        args.forEach(array::add);
    }

    /** {@code env} as an ordered map; an entry without '=' maps to the empty string, as runc reads it. */
    public SequencedMap<String, String> env() {
        SequencedMap<String, String> out = new LinkedHashMap<>();
        for (JsonNode e : node.path("env")) {
            String s = e.asText();
            int eq = s.indexOf('=');
            if (eq < 0) {
                out.put(s, "");
            } else {
                out.put(s.substring(0, eq), s.substring(eq + 1));
            }
        }
        return out;
    }

    public void setEnv(SequencedMap<String, String> env) {
        ArrayNode array = node.putArray("env");
        env.forEach((k, v) -> array.add(k + "=" + v));
    }

    /** Writes this process (an exec process file) to {@code file}, replacing it atomically. */
    public void write(java.nio.file.Path file) throws java.io.IOException {
        Spec.writeAtomically(file, node.toString());
    }

    public String cwd() {
        return node.path("cwd").asText("/");
    }

    /** {@code user.uid} (0 when absent, as runc takes it). */
    public int uid() {
        return node.path("user").path("uid").asInt(0);
    }

    /** {@code user.gid} (0 when absent, as runc takes it). */
    public int gid() {
        return node.path("user").path("gid").asInt(0);
    }
}
