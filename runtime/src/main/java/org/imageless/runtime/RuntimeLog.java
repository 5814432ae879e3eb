package org.imageless.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * runc's log: one JSON object per line ({@code {"level":"error","msg":"…","time":"<RFC 3339>"}}),
 * appended to the file of runc's {@code --log}. containerd's shim reads the last error line of it
 * when a runc call fails and shows it as the container's error. Nothing goes to stdout or stderr:
 * they belong to the container.
 */
public class RuntimeLog {

    private static final ObjectMapper JSON = org.imageless.runtime.Json.MAPPER;

    private final Path file;

    public RuntimeLog(Path file) {
        this.file = file;
    }

    public void error(String message) {
        write("error", message);
    }

    public void warning(String message) {
        write("warning", message);
    }

    public void info(String message) {
        write("info", message);
    }

    /** The line for one message, as runc writes it. */
    public static String line(String level, String message, Instant time) {
        ObjectNode o = JSON.createObjectNode();
        o.put("level", level);
        o.put("msg", message);
        o.put("time", time.truncatedTo(ChronoUnit.SECONDS).toString());
        return o.toString() + "\n";
    }

    private void write(String level, String message) {
        append(line(level, message, Instant.now()));
    }

    /** Appends a line of {@link #line}. */
    void append(String line) {
        if (file == null) {
            return;
        }
        try {
            // one write(2) of the whole line in O_APPEND mode: lines of concurrent writers never interleave
            Files.write(file, line.getBytes(StandardCharsets.UTF_8),
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            // nowhere else to say it: stdout and stderr belong to the container
        }
    }

    /**
     * A log that holds its lines, with the times they were logged at, until {@link #replayTo} appends them to
     * another: the log of a create planned before runc was asked for it (and so before its --log was known).
     */
    static final class Held extends RuntimeLog {
        private final java.util.List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();

        Held() {
            super(null);
        }

        @Override
        void append(String line) {
            lines.add(line);
        }

        boolean isEmpty() {
            return lines.isEmpty();
        }

        void replayTo(RuntimeLog log) {
            lines.forEach(log::append);
        }
    }
}
