package org.imageless.cli.env;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jgit.lib.ObjectId;
import org.imageless.cli.HubClient;
import org.imageless.cli.Session;
import org.imageless.environment.EnvironmentRef;
import org.imageless.environment.FloxJson;
import org.imageless.environment.generation.Generation;
import org.imageless.environment.generation.GenerationsMetadata;
import org.imageless.environment.generation.HistoryEntry;
import org.imageless.environment.lock.Lockfile;
import org.imageless.environment.manifest.Manifest;
import org.imageless.nix.NixException;
import org.imageless.nix.NixException.Kind;

/**
 * An environment the CLI works on, in one of Flox's three forms:
 * <ul>
 *   <li>a <b>path</b> environment: {@code <dir>/.flox} with {@code env.json} ({@code {"name", "version": 1}}),
 *       {@code env/manifest.toml} and {@code env/manifest.lock};</li>
 *   <li>a <b>managed</b> environment: the same directory after {@code flox push} or {@code flox pull},
 *       {@code env.json} also names the {@code owner}; its generations live in the user's floxmeta clone;</li>
 *   <li>a <b>remote</b> environment ({@code -r owner/name}): only the floxmeta clone, refreshed from the hub.</li>
 * </ul>
 * Changes to managed and remote environments become local generations; {@code flox push} sends them.
 */
public final class Environment {

    public enum Form { PATH, MANAGED, REMOTE }

    public static final String DOT_FLOX = ".flox";

    private final Session session;
    private final Form form;
    private final Path dotFlox;
    private final String owner;
    private final String name;
    private Floxmeta meta;

    private Environment(Session session, Form form, Path dotFlox, String owner, String name) {
        this.session = session;
        this.form = form;
        this.dotFlox = dotFlox;
        this.owner = owner;
        this.name = name;
    }

    /** The environment of {@code -r} if given, else the one in {@code dir} (default: the working directory). */
    public static Environment select(Session session, Path dir, String remote) {
        if (remote != null) {
            if (dir != null) {
                throw NixException.invalid("use either -d DIR or -r OWNER/NAME, not both");
            }
            EnvironmentRef ref = parseRemote(remote);
            Environment e = new Environment(session, Form.REMOTE, null, ref.owner(), ref.name());
            e.refreshRemote();
            return e;
        }
        return open(session, dir == null ? session.cwd() : session.resolve(dir));
    }

    public static EnvironmentRef parseRemote(String text) {
        EnvironmentRef ref = EnvironmentRef.parse(text);
        if (ref.generation().isPresent()) {
            throw NixException.invalid("'%s': name the environment as OWNER/NAME and the generation with -g N", text);
        }
        return ref;
    }

    /** The environment in {@code dir}/.flox. */
    public static Environment open(Session session, Path dir) {
        Path dotFlox = dir.resolve(DOT_FLOX);
        Path envJson = dotFlox.resolve("env.json");
        if (!Files.isRegularFile(envJson)) {
            throw new NixException(Kind.NOT_FOUND, "no environment in " + dir + " (no " + envJson
                    + "): create one with 'flox init', pull one with 'flox pull OWNER/NAME', "
                    + "or name one with -d DIR or -r OWNER/NAME");
        }
        JsonNode json;
        try {
            json = FloxJson.read(Files.readString(envJson), envJson.toString());
        } catch (IOException e) {
            throw new NixException(Kind.IO, "cannot read " + envJson + ": " + e.getMessage(), e);
        }
        String name = json.path("name").asText(null);
        if (name == null) {
            throw new NixException(Kind.CORRUPT, envJson + " has no \"name\": re-create it with 'flox init'");
        }
        String owner = json.path("owner").asText(null);
        return new Environment(session, owner == null ? Form.PATH : Form.MANAGED, dotFlox, owner, name);
    }

    /** Creates a path environment in {@code dir}. */
    public static Environment init(Session session, Path dir, String name, String manifest) {
        Path dotFlox = dir.resolve(DOT_FLOX);
        if (Files.exists(dotFlox.resolve("env.json"))) {
            throw NixException.invalid("an environment already exists in %s: use it, or remove %s first", dir, dotFlox);
        }
        EnvironmentRef.of("local", name); // validates the name by the hub's rules
        Environment e = new Environment(session, Form.PATH, dotFlox, null, name);
        e.writeEnvJson();
        e.writeFiles(manifest, null);
        return e;
    }

    public Form form() {
        return form;
    }

    public String name() {
        return name;
    }

    public String owner() {
        return owner;
    }

    /** {@code owner/name} for managed and remote environments, the name for path environments. */
    public String description() {
        return owner == null ? name : owner + "/" + name;
    }

    /** The directory holding {@code .flox}, or {@code null} for a remote environment. */
    public Path projectDir() {
        return dotFlox == null ? null : dotFlox.getParent();
    }

    public Path dotFlox() {
        return dotFlox;
    }

    /** A flag for messages: {@code -r owner/name} for remote environments, else empty. */
    public String flag() {
        return form == Form.REMOTE ? " -r " + description() : "";
    }

    // ---- contents ----

    public String manifestText() {
        if (form == Form.REMOTE) {
            return live().file(Generation.manifestPath(liveNumber()));
        }
        return read(dotFlox.resolve("env/manifest.toml"));
    }

    public Manifest manifest() {
        return Manifest.parse(manifestText(), "manifest.toml");
    }

    /** The lock, or {@code null} if the environment was never locked. */
    public Lockfile lock() {
        Optional<String> text;
        if (form == Form.REMOTE) {
            text = live().optionalFile(Generation.lockPath(liveNumber()));
        } else {
            Path p = dotFlox.resolve("env/manifest.lock");
            text = Files.exists(p) ? Optional.of(read(p)) : Optional.empty();
        }
        return text.map(t -> Lockfile.parse(t, "manifest.lock")).orElse(null);
    }

    /**
     * Replaces manifest and lock: writes the files of a directory environment and, for managed and
     * remote ones, adds a generation to the local branch.
     */
    public void change(String manifest, Lockfile lock, HistoryEntry.Change change) {
        Manifest.parse(manifest, "manifest.toml");
        if (form != Form.PATH) {
            Floxmeta.Snapshot base = head();
            GenerationsMetadata md = base == null ? GenerationsMetadata.empty() : base.metadata();
            int n = md.totalGenerations() + 1;
            Integer previous = md.liveGeneration().isPresent() ? md.liveGeneration().getAsInt() : null;
            HistoryEntry entry = new HistoryEntry(change, session.author(), session.hostname(), session.argv(),
                    Instant.now().getEpochSecond(), n, previous);
            Map<String, String> files = lock == null
                    ? Map.of(Generation.manifestPath(n), manifest)
                    : Map.of(Generation.manifestPath(n), manifest, Generation.lockPath(n), lock.format());
            meta().commit(name, base == null ? null : base.commit(), md.append(entry), files, session.commandLine(),
                    entry.author(), entry.hostname());
        }
        if (form != Form.REMOTE) {
            writeFiles(manifest, lock);
        }
    }

    // ---- generations (managed and remote) ----

    public Floxmeta meta() {
        if (owner == null) {
            throw NixException.invalid("%s is a local environment without generations: push it to FloxHub with "
                    + "'flox push' first", name);
        }
        if (meta == null) {
            meta = Floxmeta.open(session.config(), owner);
        }
        return meta;
    }

    /** The local branch tip, or {@code null} when the environment has no generations here yet. */
    public Floxmeta.Snapshot head() {
        return meta().local(name).map(meta()::read).orElse(null);
    }

    private Floxmeta.Snapshot live() {
        Floxmeta.Snapshot s = head();
        if (s == null || s.metadata().liveGeneration().isEmpty()) {
            throw new NixException(Kind.NOT_FOUND, "environment " + description() + " has no generations: "
                    + "push one with 'flox push'");
        }
        return s;
    }

    private int liveNumber() {
        return live().metadata().liveGeneration().getAsInt();
    }

    /** Manifest text and lock (or null) of generation {@code n}. */
    public GenerationFiles generation(int n) {
        Floxmeta.Snapshot s = live();
        if (n < 1 || n > s.metadata().totalGenerations()) {
            throw new NixException(Kind.NOT_FOUND, "environment " + description() + " has no generation " + n
                    + " (it has 1 to " + s.metadata().totalGenerations() + "): see 'flox generations list" + flag() + "'");
        }
        String lock = s.optionalFile(Generation.lockPath(n)).orElse(null);
        return new GenerationFiles(n, s.file(Generation.manifestPath(n)),
                lock == null ? null : Lockfile.parse(lock, Generation.lockPath(n)));
    }

    public record GenerationFiles(int number, String manifest, Lockfile lock) {}

    /** Makes generation {@code n} live locally (a {@code switch_generation} history entry). */
    public void switchTo(int n) {
        Floxmeta.Snapshot s = live();
        GenerationFiles g = generation(n);
        int current = s.metadata().liveGeneration().getAsInt();
        if (current == n) {
            throw NixException.invalid("generation %d of %s is already live", n, description());
        }
        HistoryEntry entry = new HistoryEntry(HistoryEntry.Change.switchGeneration(), session.author(),
                session.hostname(), session.argv(), Instant.now().getEpochSecond(), n, current);
        meta().commit(name, s.commit(), s.metadata().append(entry), Map.of(), session.commandLine(), entry.author(),
                entry.hostname());
        if (form == Form.MANAGED) {
            writeFiles(g.manifest(), g.lock());
        }
    }

    /** The live generation's number (managed and remote), or empty. */
    public Optional<Integer> liveGeneration() {
        if (owner == null) {
            return Optional.empty();
        }
        Floxmeta.Snapshot s = head();
        return s == null || s.metadata().liveGeneration().isEmpty() ? Optional.empty()
                : Optional.of(s.metadata().liveGeneration().getAsInt());
    }

    /**
     * Brings a remote environment up to date: the hub's branch when the local one has nothing the
     * hub lacks, else the local one (it has generations to push).
     */
    private void refreshRemote() {
        Optional<ObjectId> remote = meta().fetch(name);
        Optional<ObjectId> local = meta().local(name);
        if (remote.isEmpty()) {
            if (local.isEmpty()) {
                throw notVisible(session, owner, description());
            }
            return;
        }
        if (local.isEmpty() || meta().isAncestor(local.get(), remote.get())) {
            meta().setLocal(name, remote.get());
        }
    }

    /** The hub has no such environment, or hides it from the caller (private, not a member). */
    public static NixException notVisible(Session session, String owner, String description) {
        return new NixException(Kind.NOT_FOUND, "FloxHub has no environment " + description
                + " that you can see: check the name"
                + (session.config().token() == null ? ", and log in with 'flox auth login' if it is private"
                : ", and that you are a member of '" + owner + "' if it is private (ask one of its owners)"));
    }

    /** Turns a path environment into a managed one owned by {@code newOwner}. */
    public Environment managedBy(String newOwner) {
        Environment e = new Environment(session, Form.MANAGED, dotFlox, newOwner, name);
        e.writeEnvJson();
        return e;
    }

    /** Writes generation files into {@code .flox/env} (managed directory environments after pull/switch). */
    public void writeFiles(String manifest, Lockfile lock) {
        try {
            Path env = Files.createDirectories(dotFlox.resolve("env"));
            atomicWrite(env.resolve("manifest.toml"), manifest);
            if (lock == null) {
                Files.deleteIfExists(env.resolve("manifest.lock"));
            } else {
                atomicWrite(env.resolve("manifest.lock"), lock.format());
            }
        } catch (IOException e) {
            throw new NixException(Kind.IO, "cannot write " + dotFlox.resolve("env") + ": " + e.getMessage(), e);
        }
    }

    private void writeEnvJson() {
        ObjectNode json = HubClient.object();
        json.put("name", name);
        if (owner != null) {
            json.put("owner", owner);
        }
        json.put("version", 1);
        try {
            Files.createDirectories(dotFlox);
            atomicWrite(dotFlox.resolve("env.json"), FloxJson.pretty(json) + "\n");
        } catch (IOException e) {
            throw new NixException(Kind.IO, "cannot write " + dotFlox + ": " + e.getMessage(), e);
        }
    }

    static void atomicWrite(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new NixException(Kind.IO, "cannot read " + p + ": " + e.getMessage(), e);
        }
    }
}
