package org.imageless.hub.environment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.imageless.hub.HubException;
import org.imageless.hub.account.Names;

/**
 * Where generations live: one bare repository per owner at {@code <root>/<owner>/floxmeta.git},
 * one branch per environment (branch name = environment name). Repositories are created by the
 * first accepted push of the owner ({@link #openOrCreate}); readers never create one.
 * Callers close the repositories they get.
 */
public final class FloxmetaStore {

    /** Snapshots kept, at most (the branches read most: every container start on every node reads one). */
    private static final int MAX_SNAPSHOTS = 512;

    private final Path root;
    /**
     * The last snapshot read of each branch, by {@code owner/environment}. A snapshot is of one commit
     * and never changes, so it is used again as long as the branch still points at that commit.
     */
    private final org.imageless.nix.BoundedMemo<String, BranchSnapshot> snapshots = new org.imageless.nix.BoundedMemo<>(MAX_SNAPSHOTS);

    public FloxmetaStore(Path root) {
        this.root = root;
    }

    /**
     * Removes the lock files git leaves when the process that moves a branch dies before it renames
     * them ({@code refs/**}{@code /*.lock}, {@code packed-refs.lock}): while one is there, every push of
     * that branch fails with "failed to lock". Only for a hub starting up: it is the only writer of these
     * repositories, so nothing holds such a lock at that moment. Returns the files removed.
     */
    public java.util.List<Path> removeStaleLocks() {
        java.util.List<Path> removed = new java.util.ArrayList<>();
        if (!Files.isDirectory(root)) {
            return removed;
        }
        try (java.util.stream.Stream<Path> owners = Files.list(root)) {
            for (Path repo : owners.map(o -> o.resolve("floxmeta.git")).filter(Files::isDirectory).toList()) {
                java.util.List<Path> locks = new java.util.ArrayList<>();
                if (Files.isDirectory(repo.resolve("refs"))) {
                    try (java.util.stream.Stream<Path> files = Files.walk(repo.resolve("refs"))) {
                        files.filter(f -> f.getFileName().toString().endsWith(".lock") && Files.isRegularFile(f)).forEach(locks::add);
                    }
                }
                if (Files.isRegularFile(repo.resolve("packed-refs.lock"))) {
                    locks.add(repo.resolve("packed-refs.lock"));
                }
                for (Path lock : locks) {
                    Files.deleteIfExists(lock);
                    removed.add(lock);
                }
            }
        } catch (IOException e) {
            throw HubException.unavailable("cannot clear stale git locks under " + root + ": " + e.getMessage(), e);
        }
        return removed;
    }

    /** The bare repository's directory; {@code owner} must be a valid owner name (checked, so no path tricks). */
    public Path path(String owner) {
        return root.resolve(Names.owner(owner)).resolve("floxmeta.git");
    }

    /** {@code refs/heads/<environment>}. */
    public static String refName(String environment) {
        return Constants.R_HEADS + environment;
    }

    /** The owner's repository, if any push ever created it. */
    public Optional<Repository> open(String owner) {
        Path dir = path(owner);
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).build());
        } catch (IOException e) {
            throw HubException.unavailable("cannot open " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The owner's repository, created (bare, empty) when missing. Only for writers. */
    public synchronized Repository openOrCreate(String owner) {
        Optional<Repository> existing = open(owner);
        if (existing.isPresent()) {
            return existing.get();
        }
        Path dir = path(owner);
        try {
            Files.createDirectories(dir.getParent());
            Repository repo = new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().build();
            repo.create(true);
            // git's own repository defaults, plus: never accept a pack that is not fully checked
            var config = repo.getConfig();
            config.setBoolean("receive", null, "fsckObjects", true);
            config.save();
            return repo;
        } catch (IOException | IllegalStateException e) {
            throw HubException.unavailable("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Every owner that has a repository, with the environment names of its branches (by owner, then name).
     * Directories whose name is not a valid owner are ignored.
     */
    public java.util.SortedMap<String, java.util.SortedSet<String>> branches() {
        java.util.SortedMap<String, java.util.SortedSet<String>> all = new java.util.TreeMap<>();
        if (!Files.isDirectory(root)) {
            return all;
        }
        try (java.util.stream.Stream<Path> dirs = Files.list(root)) {
            for (Path dir : dirs.sorted().toList()) {
                String owner = dir.getFileName().toString();
                try {
                    Names.owner(owner);
                } catch (RuntimeException e) {
                    continue;
                }
                Optional<Repository> repo = open(owner);
                if (repo.isEmpty()) {
                    continue;
                }
                try (Repository r = repo.get()) {
                    java.util.SortedSet<String> names = new java.util.TreeSet<>();
                    for (Ref ref : r.getRefDatabase().getRefsByPrefix(Constants.R_HEADS)) {
                        names.add(ref.getName().substring(Constants.R_HEADS.length()));
                    }
                    all.put(owner, names);
                }
            }
        } catch (IOException e) {
            throw HubException.unavailable("cannot list the repositories in " + root + ": " + e.getMessage(), e);
        }
        return all;
    }

    /** The commit id of the tip of {@code environment}'s branch, if the owner has it (cheaper than {@link #head}). */
    public Optional<org.eclipse.jgit.lib.ObjectId> tip(String owner, String environment) {
        Optional<Repository> repo = open(owner);
        if (repo.isEmpty()) {
            return Optional.empty();
        }
        try (Repository r = repo.get()) {
            Ref ref = r.exactRef(refName(environment));
            return ref == null ? Optional.empty() : Optional.ofNullable(ref.getObjectId());
        } catch (IOException e) {
            throw HubException.unavailable("cannot read " + owner + "/" + environment + ": " + e.getMessage(), e);
        }
    }

    /** The tip of {@code environment}'s branch, if the owner has it. */
    public Optional<BranchSnapshot> head(String owner, String environment) {
        Optional<Repository> repo = open(owner);
        if (repo.isEmpty()) {
            return Optional.empty();
        }
        try (Repository r = repo.get()) {
            Ref ref = r.exactRef(refName(environment));
            if (ref == null || ref.getObjectId() == null) {
                return Optional.empty();
            }
            String key = owner + "/" + environment;
            BranchSnapshot kept = snapshots.get(key);
            if (kept != null && kept.commit().equals(ref.getObjectId())) {
                return Optional.of(kept);
            }
            return Optional.of(snapshots.put(key, BranchSnapshot.read(r, ref.getObjectId())));
        } catch (IOException e) {
            throw HubException.unavailable("cannot read " + owner + "/" + environment + ": " + e.getMessage(), e);
        }
    }


    /**
     * Commits {@code text} as {@code path} on top of {@code expectedTip} of {@code environment}'s branch
     * and moves the branch there only if it still points at {@code expectedTip}.
     *
     * @return false when the branch moved meanwhile (the caller re-reads and retries)
     */
    public boolean replaceFile(String owner, String environment, org.eclipse.jgit.lib.ObjectId expectedTip, String path,
            String text, String author, String message) {
        Repository r = open(owner).orElseThrow(() -> HubException.notFound("%s has no environments", owner));
        try (r; org.eclipse.jgit.lib.ObjectInserter inserter = r.newObjectInserter();
             org.eclipse.jgit.revwalk.RevWalk walk = new org.eclipse.jgit.revwalk.RevWalk(r)) {
            org.eclipse.jgit.revwalk.RevCommit tip = walk.parseCommit(expectedTip);
            org.eclipse.jgit.lib.ObjectId blob = inserter.insert(Constants.OBJ_BLOB,
                    text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            org.eclipse.jgit.dircache.DirCache index = org.eclipse.jgit.dircache.DirCache.read(walk.getObjectReader(), tip.getTree());
            org.eclipse.jgit.dircache.DirCacheEditor editor = index.editor();
            editor.add(new org.eclipse.jgit.dircache.DirCacheEditor.PathEdit(path) {
                @Override
                public void apply(org.eclipse.jgit.dircache.DirCacheEntry entry) {
                    entry.setFileMode(org.eclipse.jgit.lib.FileMode.REGULAR_FILE);
                    entry.setObjectId(blob);
                }
            });
            editor.finish();
            org.eclipse.jgit.lib.ObjectId tree = index.writeTree(inserter);
            org.eclipse.jgit.lib.PersonIdent who = new org.eclipse.jgit.lib.PersonIdent(author, author + "@floxhub");
            org.eclipse.jgit.lib.CommitBuilder commit = new org.eclipse.jgit.lib.CommitBuilder();
            commit.setTreeId(tree);
            commit.setParentId(tip);
            commit.setAuthor(who);
            commit.setCommitter(who);
            commit.setMessage(message + "\n");
            org.eclipse.jgit.lib.ObjectId id = inserter.insert(commit);
            inserter.flush();
            org.eclipse.jgit.lib.RefUpdate u = r.updateRef(refName(environment));
            u.setExpectedOldObjectId(expectedTip);
            u.setNewObjectId(id);
            u.setRefLogIdent(who);
            u.setRefLogMessage(message, false);
            return switch (u.update(walk)) {
                case FAST_FORWARD, NEW, FORCED -> true;
                case LOCK_FAILURE, REJECTED, REJECTED_CURRENT_BRANCH, REJECTED_MISSING_OBJECT, REJECTED_OTHER_REASON,
                     NO_CHANGE, NOT_ATTEMPTED, IO_FAILURE, RENAMED -> false;
            };
        } catch (IOException e) {
            throw HubException.unavailable("cannot update " + owner + "/" + environment + ": " + e.getMessage(), e);
        }
    }
}
