package org.imageless.runtime.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.imageless.environment.EnvironmentRef;
import org.imageless.environment.lock.Lockfile;
import org.imageless.nix.NixException;

/**
 * Resolves {@code owner/name[:generation]} with the hub, keeping what it got under
 * {@code state_dir/resolved/<owner>/<name>/}: {@code <n>.json} per generation and {@code live.json}
 * for the last live one. When the hub cannot be reached, a pinned generation this node resolved
 * before, or else the last live generation it resolved, is used and {@link Resolved#offlineNote()} says so.
 */
public final class Resolver {

    private static final ObjectMapper JSON = org.imageless.runtime.Json.MAPPER;

    private final HubClient hub;
    private final Path resolvedDir;

    public Resolver(HubClient hub, Path resolvedDir) {
        this.hub = hub;
        this.resolvedDir = resolvedDir;
    }

    /** A generation with its lock; {@code offlineNote} is set when it came from the node's record. */
    public record Resolved(EnvironmentRef ref, int generation, Lockfile lock, Optional<String> offlineNote) {
        /** {@code owner/name:N}. */
        public String shown() {
            return ref.description() + ":" + generation;
        }
    }

    public Resolved resolve(EnvironmentRef ref) {
        return begin(ref).await();
    }

    /**
     * Asks the hub for {@code ref} in the background. Meanwhile the caller may prepare what the node's
     * record says ({@link Pending#recorded()}); {@link Pending#await()} gives the hub's answer, and
     * {@link Pending#confirmsRecord()} whether it is the same.
     */
    public Pending begin(EnvironmentRef ref) {
        Path dir = resolvedDir.resolve(ref.owner()).resolve(ref.name());
        Path record = dir.resolve(ref.generation().isPresent() ? ref.generation().getAsInt() + ".json" : "live.json");
        CompletableFuture<String> answer = new CompletableFuture<>();
        Thread.ofVirtual().name("resolve " + ref).start(() -> {
            try {
                answer.complete(hub.generation(ref));
            } catch (Throwable e) {
                answer.completeExceptionally(e);
            }
        });
        return new Pending(ref, dir, record, answer);
    }

    /** A resolution under way: the hub's answer to come, and the node's record of the last one. */
    public static final class Pending {

        private final EnvironmentRef ref;
        private final Path dir;
        private final Path record;
        private final CompletableFuture<String> answer;
        private String recordedText;
        private String answeredText;

        private Pending(EnvironmentRef ref, Path dir, Path record, CompletableFuture<String> answer) {
            this.ref = ref;
            this.dir = dir;
            this.record = record;
            this.answer = answer;
        }

        /**
         * What this node resolved for the same reference last time (its live generation then, or the
         * pinned one), without waiting for the hub; empty when there is no usable record.
         */
        public Optional<Resolved> recorded() {
            try {
                Optional<String> text = read(record);
                text.ifPresent(t -> recordedText = t);
                return text.map(t -> parsed(ref, t));
            } catch (NixException e) {
                recordedText = null;
                return Optional.empty();
            }
        }

        /** After {@link #await()}: whether the answer is exactly what {@link #recorded()} gave. */
        public boolean confirmsRecord() {
            return recordedText != null && recordedText.equals(answeredText);
        }

        /**
         * The hub's answer, recorded on the node; when the hub cannot be reached, the node's record
         * with {@link Resolved#offlineNote()} saying so.
         *
         * @throws NixException the hub's refusal (NOT_FOUND, DENIED), or UNAVAILABLE with nothing recorded
         */
        public Resolved await() {
            String body;
            try {
                body = answer.join();
            } catch (java.util.concurrent.CompletionException e) {
                if (!(e.getCause() instanceof NixException n) || n.kind() != NixException.Kind.UNAVAILABLE) {
                    throw e.getCause() instanceof RuntimeException r ? r : e;
                }
                // recorded() read it already, if the caller asked
                Optional<String> recorded = recordedText != null ? Optional.of(recordedText) : read(record);
                String kept = recorded.orElseThrow(() -> new NixException(NixException.Kind.UNAVAILABLE, n.getMessage()
                        + ", and this node has never resolved " + ref + ": check hub_url in node.toml and that the node "
                        + "can reach the hub, then restart the pod", n));
                answeredText = kept;
                Resolved r = parsed(ref, kept);
                String when = modified(record);
                return new Resolved(ref, r.generation(), r.lock(), Optional.of(n.getMessage() + "; started " + r.shown()
                        + (ref.generation().isPresent() ? ", which this node resolved before"
                        : ", the last live generation this node resolved (at " + when + "); a newer one may be live")));
            }
            answeredText = body;
            Resolved r = parsed(ref, body);
            Path numbered = dir.resolve(r.generation() + ".json");
            // recorded() read this reference's record already: when the answer is that text, it is not read again
            record(numbered, body, numbered.equals(record) ? recordedText : null);
            if (ref.generation().isEmpty()) {
                record(record, body, recordedText);
            }
            return r;
        }
    }

    /**
     * The last answers parsed in this process, by their text: the resident daemon is asked for the same
     * generation at every start of a pod's containers, and parsing its lock again would give the same.
     */
    private static final org.imageless.nix.BoundedMemo<String, Resolved> PARSED = new org.imageless.nix.BoundedMemo<>(64);

    private static Resolved parsed(EnvironmentRef ref, String body) {
        Resolved kept = PARSED.get(body);
        if (kept != null && kept.ref().equals(ref)) {
            return kept;
        }
        return PARSED.put(body, parse(ref, body));
    }

    /**
     * Keeps {@code body} as {@code file}: the record of what this node resolved, and when (its modification
     * time). A file that holds it already only has its time renewed; {@code known} is what the caller
     * read from it, if anything.
     */
    private static void record(Path file, String body, String known) {
        try {
            if (body.equals(known) || Files.size(file) == body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                    && Files.readString(file).equals(body)) {
                Files.setLastModifiedTime(file, FileTime.from(Instant.now()));
                return;
            }
        } catch (IOException e) {
            // not there yet (or unreadable): written below
        }
        write(file, body);
    }

    private static Resolved parse(EnvironmentRef ref, String body) {
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (IOException e) {
            throw NixException.corrupt("the hub's answer for %s is not JSON: %s", ref, e.getMessage());
        }
        if (n == null || !n.path("generation").canConvertToInt()) {
            throw NixException.corrupt("the hub's answer for %s has no generation number", ref);
        }
        int generation = n.get("generation").asInt();
        JsonNode lock = n.get("lock");
        String shown = ref.description() + ":" + generation;
        if (lock == null || lock.isNull()) {
            throw NixException.invalid("generation %s has no manifest.lock, so there are no packages to run: lock the "
                    + "environment ('flox install' or 'flox upgrade' locks it) and push it again", shown);
        }
        return new Resolved(ref, generation, Lockfile.parse(lock.toString(), shown + " manifest.lock"), Optional.empty());
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new NixException(NixException.Kind.IO, "cannot read " + file + ": " + e, e);
        }
    }

    private static String modified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toInstant().toString();
        } catch (IOException e) {
            return Instant.EPOCH.toString();
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling("." + file.getFileName() + "." + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId());
            Files.writeString(tmp, text);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new NixException(NixException.Kind.IO, "cannot record the resolved generation in " + file + ": " + e, e);
        }
    }
}
