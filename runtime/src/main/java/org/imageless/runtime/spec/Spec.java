package org.imageless.runtime.spec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An OCI runtime spec ({@code <bundle>/config.json}): loaded, edited, written. Only what an edit
 * touches changes; every other field, known to us or not, is written back as it was read.
 */
public final class Spec {

    private static final ObjectMapper JSON = org.imageless.runtime.Json.MAPPER;

    private final ObjectNode root;

    private Spec(ObjectNode root) {
        this.root = root;
    }

    public static Spec parse(String json) {
        return new Spec(object(json, "OCI spec"));
    }

    /** Reads {@code <bundle>/config.json}. */
    public static Spec load(Path bundle) throws IOException {
        return parse(Files.readString(bundle.resolve("config.json")));
    }

    /** The process file of {@code runc exec --process FILE}. */
    public static ProcessSpec parseProcess(String json) {
        return new ProcessSpec(object(json, "process file"));
    }

    private static ObjectNode object(String json, String what) {
        try {
            JsonNode node = JSON.readTree(json);
            if (!(node instanceof ObjectNode o)) {
                throw new IllegalArgumentException(what + " is not a JSON object");
            }
            return o;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the spec to {@code file} by replacing it atomically, so runc never reads half of it. */
    public void write(Path file) throws IOException {
        writeAtomically(file, toJson());
    }

    /** Writes {@code json} (of {@link #toJson}) to {@code file}, as {@link #write} does. */
    public static void writeAtomically(Path file, String json) throws IOException {
        writeAtomically(file, json, null);
    }

    /**
     * {@link #writeAtomically(Path, String)}, the new file also linked (hard) as {@code link} before it replaces
     * {@code file}: while {@code link} and {@code file} are the same file, {@code file} is what was written here.
     */
    public static void writeAtomically(Path file, String json, Path link) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".flox-tmp");
        Files.writeString(tmp, json);
        if (link != null) {
            Files.deleteIfExists(link);
            Files.createLink(link, tmp);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** {@code root.path}: the container's root file system, relative to the bundle unless absolute. */
    public String rootPath() {
        return root.path("root").path("path").asText("rootfs");
    }

    public Map<String, String> annotations() {
        Map<String, String> out = new LinkedHashMap<>();
        root.path("annotations").properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    public ProcessSpec process() {
        JsonNode p = root.get("process");
        if (!(p instanceof ObjectNode o)) {
            throw new IllegalArgumentException("OCI spec has no process");
        }
        return new ProcessSpec(o);
    }

    public List<Mount> mounts() {
        List<Mount> out = new ArrayList<>();
        for (JsonNode m : root.path("mounts")) {
            List<String> options = new ArrayList<>();
            m.path("options").forEach(o -> options.add(o.asText()));
            out.add(new Mount(m.path("destination").asText(), m.path("type").asText(null),
                    m.path("source").asText(null), options));
        }
        return out;
    }

    /** Appends a mount; runc mounts in order, so later mounts land on top of earlier ones. */
    public void addMount(Mount mount) {
        ArrayNode mounts = root.has("mounts") ? (ArrayNode) root.get("mounts") : root.putArray("mounts");
        ObjectNode m = mounts.addObject();
        m.put("destination", mount.destination());
        if (mount.type() != null) {
            m.put("type", mount.type());
        }
        if (mount.source() != null) {
            m.put("source", mount.source());
        }
        ArrayNode options = m.putArray("options");
        mount.options().forEach(options::add);
    }
}
