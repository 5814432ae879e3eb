package org.imageless.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.TreeMap;
import org.imageless.nix.NixException;

/**
 * What {@code create} activated, recorded in {@code state_dir/containers/<id>/activation.json} so
 * that {@code exec} (kubectl exec, exec probes) applies the same environment to its process without
 * resolving again. No record means: leave exec processes untouched (sandbox, skipped containers,
 * {@code skip-containers-exec}).
 *
 * @param environment {@code owner/name:generation}
 * @param variables   the variables set in the process, in order
 * @param storeDir    the node store (where /nix/store paths are on the host)
 * @param rootfs      the container's root file system on the host (for command resolution)
 * @param bash        bash of the closure when a hook runs, else null
 * @param hook        {@code hook.on-activate}, or null
 * @param commands    the commands of each package (for the command-not-found message)
 */
public record Activation(String environment, SequencedMap<String, String> variables, String storeDir, String rootfs, String bash,
                         String hook, Map<String, List<String>> commands) {

    public static final String FILE = "activation.json";
    private static final ObjectMapper JSON = org.imageless.runtime.Json.MAPPER;

    public Activation {
        variables = new LinkedHashMap<>(variables);
        commands = new TreeMap<>(commands);
    }

    public void write(Path containerDir) {
        write(containerDir, toJson());
    }

    /** The record as {@link #write} writes it. */
    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("environment", environment);
        ObjectNode vars = o.putObject("variables");
        variables.forEach(vars::put);
        o.put("store_dir", storeDir);
        o.put("rootfs", rootfs);
        o.put("bash", bash);
        o.put("hook", hook);
        ObjectNode cmds = o.putObject("commands");
        commands.forEach((k, v) -> v.forEach(cmds.withArray(k)::add));
        return o.toString();
    }

    /** Writes {@code json} (of {@link #toJson}) as the record in {@code containerDir}, replacing it atomically. */
    public static void write(Path containerDir, String json) {
        try {
            Files.createDirectories(containerDir);
            Path tmp = containerDir.resolve("." + FILE + ".tmp");
            Files.writeString(tmp, json);
            Files.move(tmp, containerDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new NixException(NixException.Kind.IO, "cannot record the activation in " + containerDir + ": " + e, e);
        }
    }

    public static Optional<Activation> read(Path containerDir) {
        return readFile(containerDir.resolve(FILE));
    }

    /** Reads an activation record; empty if there is none. */
    public static Optional<Activation> readFile(Path file) {
        JsonNode o;
        try {
            o = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new NixException(NixException.Kind.IO, "cannot read the activation recorded in " + file + ": " + e, e);
        }
        SequencedMap<String, String> vars = new LinkedHashMap<>();
        o.path("variables").properties().forEach(e -> vars.put(e.getKey(), e.getValue().asText()));
        Map<String, List<String>> commands = new TreeMap<>();
        o.path("commands").properties().forEach(e -> {
            List<String> l = new ArrayList<>();
            e.getValue().forEach(c -> l.add(c.asText()));
            commands.put(e.getKey(), l);
        });
        return Optional.of(new Activation(o.path("environment").asText(), vars, o.path("store_dir").asText(), o.path("rootfs").asText(),
                o.path("bash").isNull() ? null : o.path("bash").asText(null),
                o.path("hook").isNull() ? null : o.path("hook").asText(null), commands));
    }
}
