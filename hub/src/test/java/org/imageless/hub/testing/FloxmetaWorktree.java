package org.imageless.hub.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.imageless.environment.generation.Generation;
import org.imageless.environment.generation.GenerationsMetadata;
import org.imageless.environment.generation.HistoryEntry;

/**
 * A git working tree of one environment branch in Flox's floxmeta layout, written with the
 * environment module's formats and committed with the real git: what {@code flox push} produces.
 * Example files: {@link #MANIFEST} and {@link #LOCK} (a lock of real nixpkgs packages for four systems).
 */
public final class FloxmetaWorktree {

    public static final String MANIFEST = resource("manifest.toml");
    public static final String LOCK = resource("manifest.lock");

    public final Path dir;
    public final String branch;
    private final GitCli git;
    public GenerationsMetadata metadata = GenerationsMetadata.empty();

    private FloxmetaWorktree(GitCli git, Path dir, String branch) {
        this.git = git;
        this.dir = dir;
        this.branch = branch;
    }

    /** A new, empty repository on {@code branch}. */
    public static FloxmetaWorktree init(GitCli git, Path dir, String branch) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        git.ok(dir, "init", "-q", "-b", branch);
        return new FloxmetaWorktree(git, dir, branch);
    }

    /** A clone of {@code url}'s {@code branch}, its metadata read from the checkout. */
    public static FloxmetaWorktree cloneOf(GitCli git, String url, Path dir, String branch, String... config) {
        List<String> args = new java.util.ArrayList<>(List.of(config));
        args.addAll(List.of("clone", "-q", "-b", branch, url, dir.toString()));
        git.ok(dir.getParent(), args.toArray(String[]::new));
        FloxmetaWorktree w = new FloxmetaWorktree(git, dir, branch);
        w.metadata = GenerationsMetadata.parse(w.read(GenerationsMetadata.FILE_NAME), GenerationsMetadata.FILE_NAME);
        return w;
    }

    /** Adds generation {@code metadata.totalGenerations() + 1} with the given files and a history entry, and commits. */
    public FloxmetaWorktree addGeneration(String manifest, String lock) {
        int n = metadata.totalGenerations() + 1;
        Integer previous = metadata.liveGeneration().isPresent() ? metadata.liveGeneration().getAsInt() : null;
        metadata = metadata.append(new HistoryEntry(HistoryEntry.Change.install(List.of("gh")), "alice", "laptop",
                List.of("flox", "install", "gh"), 1_700_000_000L + n, n, previous));
        write(Generation.manifestPath(n), manifest);
        if (lock != null) {
            write(Generation.lockPath(n), lock);
        }
        write(GenerationsMetadata.FILE_NAME, metadata.format());
        return commit(branch + ": generation " + n);
    }

    public FloxmetaWorktree addGeneration() {
        return addGeneration(MANIFEST, LOCK);
    }

    public FloxmetaWorktree write(String path, String text) {
        try {
            Path file = dir.resolve(path);
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String read(String path) {
        try {
            return Files.readString(dir.resolve(path));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public FloxmetaWorktree commit(String message) {
        git.ok(dir, "add", "-A");
        git.ok(dir, "commit", "-q", "--allow-empty", "-m", message);
        return this;
    }

    public String head() {
        return git.ok(dir, "rev-parse", "HEAD").strip();
    }

    public GitCli.Result push(String url, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("push"));
        args.addAll(List.of(extra));
        args.add(url);
        args.add(branch);
        return git.run(dir, args.toArray(String[]::new));
    }

    private static String resource(String name) {
        try (InputStream in = FloxmetaWorktree.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
