package org.imageless.hub.git;

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
import org.imageless.hub.testing.GitCli;

/**
 * A git working tree of one environment branch in Flox's floxmeta layout, written with the
 * environment module's formats and committed with the real git: what {@code flox push} produces.
 */
final class FloxmetaWorktree {

    static final String MANIFEST = resource("manifest.toml");
    static final String LOCK = resource("manifest.lock");

    final Path dir;
    final String branch;
    private final GitCli git;
    GenerationsMetadata metadata = GenerationsMetadata.empty();

    private FloxmetaWorktree(GitCli git, Path dir, String branch) {
        this.git = git;
        this.dir = dir;
        this.branch = branch;
    }

    /** A new, empty repository on {@code branch}. */
    static FloxmetaWorktree init(GitCli git, Path dir, String branch) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        git.ok(dir, "init", "-q", "-b", branch);
        return new FloxmetaWorktree(git, dir, branch);
    }

    /** A clone of {@code url}'s {@code branch}, its metadata read from the checkout. */
    static FloxmetaWorktree cloneOf(GitCli git, String url, Path dir, String branch, String... config) {
        List<String> args = new java.util.ArrayList<>(List.of(config));
        args.addAll(List.of("clone", "-q", "-b", branch, url, dir.toString()));
        git.ok(dir.getParent(), args.toArray(String[]::new));
        FloxmetaWorktree w = new FloxmetaWorktree(git, dir, branch);
        w.metadata = GenerationsMetadata.parse(w.read(GenerationsMetadata.FILE_NAME), GenerationsMetadata.FILE_NAME);
        return w;
    }

    /** Adds generation {@code metadata.totalGenerations() + 1} with the given files and a history entry, and commits. */
    FloxmetaWorktree addGeneration(String manifest, String lock) {
        int n = metadata.totalGenerations() + 1;
        Integer previous = metadata.liveGeneration().isPresent() ? metadata.liveGeneration().getAsInt() : null;
        metadata = metadata.append(new HistoryEntry(HistoryEntry.Change.install(List.of("gh")), "alice", "laptop",
                1_700_000_000L + n, n, previous));
        write(Generation.manifestPath(n), manifest);
        if (lock != null) {
            write(Generation.lockPath(n), lock);
        }
        write(GenerationsMetadata.FILE_NAME, metadata.format());
        return commit(branch + ": generation " + n);
    }

    FloxmetaWorktree addGeneration() {
        return addGeneration(MANIFEST, LOCK);
    }

    FloxmetaWorktree write(String path, String text) {
        try {
            Path file = dir.resolve(path);
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String read(String path) {
        try {
            return Files.readString(dir.resolve(path));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    FloxmetaWorktree commit(String message) {
        git.ok(dir, "add", "-A");
        git.ok(dir, "commit", "-q", "--allow-empty", "-m", message);
        return this;
    }

    String head() {
        return git.ok(dir, "rev-parse", "HEAD").strip();
    }

    GitCli.Result push(String url, String... extra) {
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
