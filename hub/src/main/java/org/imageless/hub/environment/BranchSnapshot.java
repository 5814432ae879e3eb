package org.imageless.hub.environment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.imageless.environment.generation.GenerationsMetadata;
import org.imageless.hub.HubException;

/**
 * The files of one commit of an environment branch, read fully into memory (small text files:
 * {@code metadata.json} and each generation's manifest and lock; a file over
 * {@link #MAX_FILE_BYTES} is refused). Immutable; safe to keep after the repository is closed.
 */
public final class BranchSnapshot {

    /** The largest file a branch may hold; manifests and locks are far smaller. */
    public static final int MAX_FILE_BYTES = 16 << 20;

    private final ObjectId commit;
    private final Map<String, String> files;
    private final Map<String, FileMode> modes;
    /** {@link #derived}'s values, by key ({@link #metadata()} among them; a race only computes one twice). */
    private final java.util.concurrent.ConcurrentMap<String, Object> derived = new java.util.concurrent.ConcurrentHashMap<>();

    private BranchSnapshot(ObjectId commit, Map<String, String> files, Map<String, FileMode> modes) {
        this.commit = commit;
        this.files = Collections.unmodifiableMap(files);
        this.modes = Collections.unmodifiableMap(modes);
    }

    /** Reads every file of {@code commitId}'s tree. */
    public static BranchSnapshot read(Repository repo, ObjectId commitId) throws IOException {
        try (ObjectReader reader = repo.newObjectReader(); RevWalk walk = new RevWalk(reader)) {
            RevCommit commit = walk.parseCommit(commitId);
            Map<String, String> files = new TreeMap<>();
            Map<String, FileMode> modes = new TreeMap<>();
            try (TreeWalk tree = new TreeWalk(reader)) {
                tree.addTree(commit.getTree());
                tree.setRecursive(true);
                while (tree.next()) {
                    String path = tree.getPathString();
                    FileMode mode = tree.getFileMode(0);
                    modes.put(path, mode);
                    if (mode == FileMode.REGULAR_FILE || mode == FileMode.EXECUTABLE_FILE) {
                        byte[] bytes = reader.open(tree.getObjectId(0)).getCachedBytes(MAX_FILE_BYTES);
                        files.put(path, new String(bytes, StandardCharsets.UTF_8));
                    }
                }
            }
            return new BranchSnapshot(commit.copy(), files, modes);
        } catch (org.eclipse.jgit.errors.LargeObjectException e) {
            throw HubException.invalid("commit %s holds a file larger than %d bytes", commitId.name(), MAX_FILE_BYTES);
        }
    }

    public ObjectId commit() {
        return commit;
    }

    /** Every path in the tree (files, links, submodules), relative, with '/'. */
    public java.util.Set<String> paths() {
        return modes.keySet();
    }

    /** Paths that are not plain files (symlinks, submodules): an environment branch has none. */
    public java.util.Set<String> nonFiles() {
        java.util.Set<String> out = new java.util.TreeSet<>(modes.keySet());
        out.removeAll(files.keySet());
        return out;
    }

    /** The text of a file, if present. */
    public Optional<String> text(String path) {
        return Optional.ofNullable(files.get(path));
    }

    /**
     * A value computed from this snapshot alone, computed once per snapshot and {@code key}: e.g. a
     * generation's REST body, which every container start on every node asks for.
     */
    @SuppressWarnings("unchecked")
    public <T> T derived(String key, java.util.function.Function<BranchSnapshot, T> compute) {
        Object kept = derived.get(key);
        if (kept == null) {
            kept = compute.apply(this);
            derived.putIfAbsent(key, kept);
        }
        return (T) kept;
    }

    /** {@code metadata.json}, parsed (once per snapshot); INVALID (a {@code NixException}) when broken or missing. */
    public GenerationsMetadata metadata() {
        return derived(GenerationsMetadata.FILE_NAME, snapshot -> GenerationsMetadata.parse(snapshot.text(GenerationsMetadata.FILE_NAME)
                .orElseThrow(() -> org.imageless.nix.NixException.invalid("%s is missing", GenerationsMetadata.FILE_NAME)),
                GenerationsMetadata.FILE_NAME));
    }
}
