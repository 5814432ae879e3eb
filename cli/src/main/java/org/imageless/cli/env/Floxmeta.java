package org.imageless.cli.env;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.api.errors.TransportException;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.imageless.cli.Config;
import org.imageless.cli.HubClient;
import org.imageless.environment.generation.GenerationsMetadata;
import org.imageless.nix.NixException;
import org.imageless.nix.NixException.Kind;

/**
 * The user's clone of an owner's {@code floxmeta} repository ({@code $FLOX_DATA_DIR/meta/<owner>},
 * bare): one branch per environment, in FloxHub's layout ({@code metadata.json},
 * {@code <N>/env/manifest.toml}, {@code <N>/env/manifest.lock}). Local branches
 * ({@code refs/heads/<name>}) hold generations not pushed yet; {@code refs/remotes/origin/<name>}
 * is what the hub had at the last fetch. Talks to {@code <hub>/git/<owner>/floxmeta} with HTTP
 * Basic {@code oauth:<token>}.
 */
public final class Floxmeta implements AutoCloseable {

    private final Config config;
    private final String owner;
    private final Repository repo;

    private Floxmeta(Config config, String owner, Repository repo) {
        this.config = config;
        this.owner = owner;
        this.repo = repo;
    }

    public static Floxmeta open(Config config, String owner) {
        Path dir = config.dataDir().resolve("meta").resolve(owner);
        try {
            Repository r = new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().build();
            if (!Files.exists(dir.resolve("HEAD"))) {
                r.create(true);
            }
            return new Floxmeta(config, owner, r);
        } catch (IOException e) {
            throw new NixException(Kind.IO, "cannot open the environment repository " + dir + ": " + e.getMessage(), e);
        }
    }

    public String remoteUrl() {
        return config.hubUrl() + "/git/" + owner + "/floxmeta";
    }

    /** One commit of an environment branch, read. */
    public record Snapshot(ObjectId commit, GenerationsMetadata metadata, Map<String, String> files) {
        public String file(String path) {
            String text = files.get(path);
            if (text == null) {
                throw new NixException(Kind.CORRUPT, "the environment branch has no " + path);
            }
            return text;
        }

        public Optional<String> optionalFile(String path) {
            return Optional.ofNullable(files.get(path));
        }
    }

    /** The branch's local tip ({@code refs/heads/<name>}). */
    public Optional<ObjectId> local(String name) {
        return ref(Constants.R_HEADS + name);
    }

    /** The hub's tip as of the last {@link #fetch}. */
    public Optional<ObjectId> remote(String name) {
        return ref(Constants.R_REMOTES + "origin/" + name);
    }

    private Optional<ObjectId> ref(String name) {
        try {
            Ref r = repo.exactRef(name);
            return r == null ? Optional.empty() : Optional.of(r.getObjectId());
        } catch (IOException e) {
            throw io("reading " + name, e);
        }
    }

    /**
     * Fetches the environment's branch from the hub into {@code refs/remotes/origin/<name>}.
     *
     * @return the hub's tip, empty when the hub has no such environment (or the caller may not see it)
     */
    public Optional<ObjectId> fetch(String name) {
        try (Git git = new Git(repo)) {
            Collection<Ref> refs;
            try {
                refs = git.lsRemote().setRemote(remoteUrl()).setHeads(true).setCredentialsProvider(credentials()).call();
            } catch (TransportException e) {
                NixException mapped = transport(e, "reading " + owner + "/" + name);
                if (mapped.kind() != Kind.NOT_FOUND) {
                    throw mapped;
                }
                // no floxmeta repository for the owner (none pushed yet), or one the caller may not see
                refs = java.util.List.of();
            }
            Optional<Ref> tip = refs.stream().filter(r -> r.getName().equals(Constants.R_HEADS + name)).findFirst();
            if (tip.isEmpty()) {
                deleteRef(Constants.R_REMOTES + "origin/" + name);
                return Optional.empty();
            }
            try {
                git.fetch().setRemote(remoteUrl()).setCredentialsProvider(credentials())
                        .setRefSpecs(new RefSpec("+" + Constants.R_HEADS + name + ":" + Constants.R_REMOTES + "origin/" + name))
                        .call();
            } catch (TransportException e) {
                throw transport(e, "fetching " + owner + "/" + name);
            }
            return remote(name);
        } catch (GitAPIException e) {
            throw new NixException(Kind.UNAVAILABLE, "cannot fetch " + owner + "/" + name + " from " + remoteUrl() + ": "
                    + e.getMessage(), e);
        }
    }

    /** Reads a commit: metadata.json and every file of its tree. */
    public Snapshot read(ObjectId commit) {
        try (RevWalk walk = new RevWalk(repo); TreeWalk tree = new TreeWalk(repo)) {
            RevCommit c = walk.parseCommit(commit);
            tree.addTree(c.getTree());
            tree.setRecursive(true);
            Map<String, String> files = new TreeMap<>();
            while (tree.next()) {
                files.put(tree.getPathString(), new String(repo.open(tree.getObjectId(0)).getBytes(), StandardCharsets.UTF_8));
            }
            String md = files.get(GenerationsMetadata.FILE_NAME);
            GenerationsMetadata metadata = md == null ? GenerationsMetadata.empty()
                    : GenerationsMetadata.parse(md, GenerationsMetadata.FILE_NAME);
            return new Snapshot(commit, metadata, files);
        } catch (IOException e) {
            throw io("reading commit " + commit.name(), e);
        }
    }

    /**
     * Commits {@code metadata} plus {@code newFiles} on top of {@code parent}'s tree (none: an empty
     * tree) and moves {@code refs/heads/<name>} to the new commit.
     */
    public ObjectId commit(String name, ObjectId parent, GenerationsMetadata metadata, Map<String, String> newFiles,
                           String message, String author, String hostname) {
        SortedMap<String, String> files = new TreeMap<>(parent == null ? Map.of() : read(parent).files());
        files.putAll(newFiles);
        files.put(GenerationsMetadata.FILE_NAME, metadata.format());
        try (ObjectInserter ins = repo.newObjectInserter()) {
            ObjectId tree = writeTree(ins, files, "");
            CommitBuilder cb = new CommitBuilder();
            cb.setTreeId(tree);
            if (parent != null) {
                cb.setParentId(parent);
            }
            PersonIdent who = new PersonIdent(author, author + "@" + hostname);
            cb.setAuthor(who);
            cb.setCommitter(who);
            cb.setMessage(message.endsWith("\n") ? message : message + "\n");
            ObjectId id = ins.insert(cb);
            ins.flush();
            setLocal(name, id);
            return id;
        } catch (IOException e) {
            throw io("committing to " + name, e);
        }
    }

    private ObjectId writeTree(ObjectInserter ins, SortedMap<String, String> files, String prefix) throws IOException {
        TreeFormatter f = new TreeFormatter();
        // git sorts tree entries by name, with directories compared as if they ended in '/'
        SortedMap<String, Object> entries = new TreeMap<>();
        Map<String, SortedMap<String, String>> dirs = new TreeMap<>();
        for (Map.Entry<String, String> e : files.entrySet()) {
            String rest = e.getKey();
            int slash = rest.indexOf('/');
            if (slash < 0) {
                entries.put(rest, e.getValue());
            } else {
                String dir = rest.substring(0, slash);
                dirs.computeIfAbsent(dir, d -> new TreeMap<>()).put(rest.substring(slash + 1), e.getValue());
                entries.put(dir + "/", dir);
            }
        }
        for (Map.Entry<String, Object> e : entries.entrySet()) {
            if (e.getKey().endsWith("/")) {
                String dir = (String) e.getValue();
                f.append(dir, FileMode.TREE, writeTree(ins, dirs.get(dir), prefix + dir + "/"));
            } else {
                f.append(e.getKey(), FileMode.REGULAR_FILE,
                        ins.insert(Constants.OBJ_BLOB, ((String) e.getValue()).getBytes(StandardCharsets.UTF_8)));
            }
        }
        return ins.insert(f);
    }

    /** Moves (or creates) {@code refs/heads/<name>}. */
    public void setLocal(String name, ObjectId id) {
        try {
            RefUpdate u = repo.updateRef(Constants.R_HEADS + name);
            u.setNewObjectId(id);
            u.setForceUpdate(true);
            RefUpdate.Result r = u.update();
            if (r != RefUpdate.Result.NEW && r != RefUpdate.Result.FORCED && r != RefUpdate.Result.FAST_FORWARD
                    && r != RefUpdate.Result.NO_CHANGE) {
                throw new NixException(Kind.IO, "cannot move branch " + name + ": " + r);
            }
        } catch (IOException e) {
            throw io("moving branch " + name, e);
        }
    }

    /** Forgets the local branch of {@code name}. */
    public void deleteLocal(String name) {
        deleteRef(Constants.R_HEADS + name);
    }

    private void deleteRef(String name) {
        try {
            if (repo.exactRef(name) != null) {
                RefUpdate u = repo.updateRef(name);
                u.setForceUpdate(true);
                u.delete();
            }
        } catch (IOException e) {
            throw io("deleting " + name, e);
        }
    }

    /** Whether {@code ancestor} is {@code descendant} or one of its ancestors. */
    public boolean isAncestor(ObjectId ancestor, ObjectId descendant) {
        try (RevWalk walk = new RevWalk(repo)) {
            return walk.isMergedInto(walk.parseCommit(ancestor), walk.parseCommit(descendant));
        } catch (IOException e) {
            throw io("comparing commits", e);
        }
    }

    /** The result of a push: {@code null} when it went through, else the hub's reason. */
    public String push(String name) {
        try (Git git = new Git(repo)) {
            Iterable<PushResult> results;
            try {
                results = git.push().setRemote(remoteUrl()).setCredentialsProvider(credentials())
                        .setRefSpecs(new RefSpec(Constants.R_HEADS + name + ":" + Constants.R_HEADS + name)).call();
            } catch (TransportException e) {
                throw transport(e, "pushing " + owner + "/" + name);
            }
            List<String> problems = new ArrayList<>();
            for (PushResult r : results) {
                for (RemoteRefUpdate u : r.getRemoteUpdates()) {
                    switch (u.getStatus()) {
                        case OK, UP_TO_DATE -> { }
                        case REJECTED_NONFASTFORWARD, REJECTED_REMOTE_CHANGED -> problems.add("non-fast-forward");
                        default -> problems.add(u.getMessage() == null ? u.getStatus().name() : u.getMessage());
                    }
                }
            }
            if (problems.isEmpty()) {
                deleteRef(Constants.R_REMOTES + "origin/" + name);
                local(name).ifPresent(id -> {
                    try {
                        RefUpdate u = repo.updateRef(Constants.R_REMOTES + "origin/" + name);
                        u.setNewObjectId(id);
                        u.setForceUpdate(true);
                        u.update();
                    } catch (IOException e) {
                        throw io("recording the push", e);
                    }
                });
                return null;
            }
            return String.join("; ", problems);
        } catch (GitAPIException e) {
            throw new NixException(Kind.UNAVAILABLE, "cannot push " + owner + "/" + name + " to " + remoteUrl() + ": "
                    + e.getMessage(), e);
        }
    }

    private UsernamePasswordCredentialsProvider credentials() {
        return config.token() == null ? null : new UsernamePasswordCredentialsProvider("oauth", config.token());
    }

    private NixException transport(TransportException e, String what) {
        String m = String.valueOf(e.getMessage());
        // the URL's port may contain "401" or "404": match on the message without it
        String lower = m.replace(remoteUrl(), "").replace(config.hubUrl(), "").toLowerCase(java.util.Locale.ROOT);
        if (lower.contains("connection refused") || lower.contains("connection failed") || lower.contains("connect timed out")
                || lower.contains("cannot open")) {
            return HubClient.unreachable(config.hubUrl(), e);
        }
        if (lower.contains("not authorized") || lower.contains("authentication") || lower.contains("401")) {
            return config.token() == null ? HubClient.notLoggedIn()
                    : new NixException(Kind.DENIED, "FloxHub refused the token while " + what
                    + " (expired or revoked?): run 'flox auth login' to get a new one");
        }
        if (lower.contains("403") || lower.contains("forbidden") || lower.contains("not permitted")) {
            return new NixException(Kind.DENIED, "FloxHub denied " + what + ": you are not a member of '" + owner
                    + "' with the right role; ask an owner of '" + owner + "' for access");
        }
        if (lower.contains("not found") || lower.contains("404")) {
            return new NixException(Kind.NOT_FOUND, "FloxHub has no environments of '" + owner
                    + "' that you can see (" + what + "): check the owner, and log in if it is private");
        }
        return new NixException(Kind.UNAVAILABLE, "git transport to " + remoteUrl() + " failed while " + what + ": " + m, e);
    }

    private static NixException io(String what, IOException e) {
        return new NixException(Kind.IO, what + ": " + e.getMessage(), e);
    }

    @Override
    public void close() {
        repo.close();
    }
}
