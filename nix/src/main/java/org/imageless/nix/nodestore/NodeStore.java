package org.imageless.nix.nodestore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.imageless.nix.NixException;
import org.imageless.nix.cache.BinaryCacheClient;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.nar.NarDigest;
import org.imageless.nix.nar.NarFormatException;
import org.imageless.nix.nar.NarUnpacker;
import org.imageless.nix.nar.NarWriter;
import org.imageless.nix.narinfo.NarInfo;
import org.imageless.nix.refs.ReferenceScanner;
import org.imageless.nix.store.StorePath;
import org.imageless.nix.store.StorePaths;

/**
 * A directory that plays {@code /nix/store} on a node: {@code <dir>/<hash>-<name>} are realised
 * store paths, shared by every pod on the node. Book-keeping lives in dot-directories beside them
 * (a dot can never start a store path name): {@code .meta/} one {@link PathInfo} per valid path,
 * {@code .locks/} per-path lock files, {@code .tmp/} work in progress (may be placed elsewhere on
 * the same file system).
 *
 * <p>Invariants: a path's directory appears only by an atomic rename of a complete tree whose NAR
 * hash was verified; a path is valid once its {@code .meta} entry exists, which is written
 * (atomically) only after all its references are valid. So a crash at any point leaves either
 * nothing, or a complete and verified tree that the next realise registers.
 */
public final class NodeStore {

    private final Path dir;
    private final Path metaDir;
    private final Path tmpDir;
    private final PathLocks locks;

    private NodeStore(Path dir, Path tmpDir) {
        this.dir = dir;
        this.metaDir = dir.resolve(".meta");
        this.tmpDir = tmpDir;
        this.locks = new PathLocks(dir.resolve(".locks"));
    }

    /** Opens (creating if needed) the store at {@code dir}, with work in progress under {@code dir/.tmp}. */
    public static NodeStore open(Path dir) {
        return open(dir, dir.resolve(".tmp"));
    }

    /** Opens the store at {@code dir} with work in progress in {@code tmpDir} (same file system). */
    public static NodeStore open(Path dir, Path tmpDir) {
        Path abs = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(abs.resolve(".meta"));
            Files.createDirectories(abs.resolve(".locks"));
            Files.createDirectories(tmpDir);
        } catch (IOException e) {
            throw new NixException(NixException.Kind.IO, "cannot create node store at " + abs + ": " + e, e);
        }
        return new NodeStore(abs, tmpDir.toAbsolutePath().normalize());
    }

    public Path dir() {
        return dir;
    }

    /** Where a store path's files are on this node. */
    public Path realPath(StorePath path) {
        return dir.resolve(path.baseName());
    }

    public boolean isValid(StorePath path) {
        return Files.exists(metaFile(path)) && Files.exists(realPath(path), LinkOption.NOFOLLOW_LINKS);
    }

    public Optional<PathInfo> query(StorePath path) {
        Path meta = metaFile(path);
        try {
            BasicFileAttributes attributes = Files.readAttributes(meta, BasicFileAttributes.class);
            if (!Files.exists(realPath(path), LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            Read kept = READ.get(meta);
            if (kept != null && kept.same(attributes)) {
                return Optional.of(kept.info());
            }
            PathInfo info = PathInfo.parse(Files.readString(meta), meta.toString());
            READ.put(meta, new Read(attributes.fileKey(), attributes.lastModifiedTime(), info));
            return Optional.of(info);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw io("reading metadata of " + path, e);
        }
    }

    /**
     * Metadata files parsed in this JVM: a long-running process (the runtime's daemon) computes the
     * same closures at every container start. A {@code .meta} file is written once, by an atomic
     * rename, so the same file (inode and time) has the same content.
     */
    private static final org.imageless.nix.BoundedMemo<Path, Read> READ = new org.imageless.nix.BoundedMemo<>(4096);

    private record Read(Object fileKey, java.nio.file.attribute.FileTime modified, PathInfo info) {
        boolean same(BasicFileAttributes a) {
            return fileKey != null && fileKey.equals(a.fileKey()) && modified.equals(a.lastModifiedTime());
        }
    }

    /** Every valid path, sorted. */
    public List<StorePath> list() {
        List<StorePath> out = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(metaDir)) {
            for (Path e : entries) {
                String base = e.getFileName().toString();
                if (base.startsWith(".")) {
                    continue;
                }
                StorePath p = StorePath.fromBaseName(base);
                if (isValid(p)) {
                    out.add(p);
                }
            }
        } catch (IOException e) {
            throw io("listing " + metaDir, e);
        }
        out.sort(null);
        return out;
    }

    /** The closure of {@code roots} as recorded in this store; every member must be valid. */
    public Set<StorePath> closure(Collection<StorePath> roots) {
        Set<StorePath> seen = new LinkedHashSet<>();
        Deque<StorePath> todo = new ArrayDeque<>(roots);
        while (!todo.isEmpty()) {
            StorePath p = todo.pop();
            if (!seen.add(p)) {
                continue;
            }
            PathInfo info = query(p).orElseThrow(() -> new NixException(NixException.Kind.NOT_FOUND,
                    "store path " + p + " is not valid in the node store " + dir));
            todo.addAll(info.referencesWithoutSelf());
        }
        return seen;
    }

    /** What a realise did: the closure, and which of its paths were fetched now. */
    public record RealiseResult(Set<StorePath> closure, Set<StorePath> fetched) {}

    /**
     * Realises the closure of {@code roots} from {@code cache}: each missing path is downloaded,
     * verified and unpacked once (across threads and processes), in parallel on virtual threads.
     */
    public RealiseResult realise(BinaryCacheClient cache, Collection<StorePath> roots) {
        List<StorePath> missingRoots = roots.stream().filter(p -> !isValid(p)).toList();
        Map<StorePath, NarInfo> infos = missingRoots.isEmpty() ? Map.of() : cache.closure(missingRoots);
        Set<StorePath> fetched = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Map<StorePath, CompletableFuture<Void>> done = new HashMap<>();
        for (StorePath p : infos.keySet()) {
            done.put(p, new CompletableFuture<>());
        }
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> tasks = new ArrayList<>();
            for (NarInfo info : infos.values()) {
                tasks.add(pool.submit(() -> {
                    try {
                        if (realiseOne(cache, info, done)) {
                            fetched.add(info.storePath());
                        }
                        done.get(info.storePath()).complete(null);
                    } catch (Throwable t) {
                        done.get(info.storePath()).completeExceptionally(t);
                        throw t;
                    }
                    return null;
                }));
            }
            for (Future<?> task : tasks) {
                await(task);
            }
        }
        Set<StorePath> closure = new TreeSet<>(infos.keySet());
        closure.addAll(closure(roots));
        return new RealiseResult(closure, fetched);
    }

    /** Returns true when this call downloaded the path, false when it was already valid. */
    private boolean realiseOne(BinaryCacheClient cache, NarInfo info, Map<StorePath, CompletableFuture<Void>> done)
            throws IOException {
        StorePath path = info.storePath();
        PathInfo pathInfo = PathInfo.of(info);
        return install(pathInfo, target -> cache.fetchNar(info, nar -> {
            NarUnpacker.deleteTree(target);
            try {
                NarUnpacker.unpack(nar, target);
            } catch (NarFormatException e) {
                throw new NixException(e.kind(), "the NAR of " + path + " from binary cache "
                        + cache.cacheName() + " is malformed: " + e.getMessage(), e);
            }
        }), () -> {
            for (StorePath ref : pathInfo.referencesWithoutSelf()) {
                CompletableFuture<Void> refDone = done.get(ref);
                if (refDone != null) {
                    await(refDone);
                } else if (!isValid(ref)) {
                    throw new NixException(NixException.Kind.NOT_FOUND,
                            "cannot register " + path + ": its reference " + ref + " is not valid");
                }
            }
        });
    }

    /** Writes a complete tree at a path that does not exist yet. */
    @FunctionalInterface
    private interface TreeMaker {
        void make(Path target) throws IOException;
    }

    /**
     * Makes {@code info}'s path valid unless it already is. Under the path's lock: clean what a
     * killed process left, keep an unregistered tree whose hash is right or else make the tree in a
     * fresh work directory and rename it into place, wait until the references are valid, register.
     * Returns true when this call made the tree.
     */
    private boolean install(PathInfo info, TreeMaker maker, Runnable awaitReferences) throws IOException {
        StorePath path = info.storePath();
        if (isValid(path)) {
            return false;
        }
        try (PathLocks.Held held = locks.acquire(path.hashPart())) {
            if (isValid(path)) {
                return false;
            }
            cleanLeftovers(path);
            boolean made = false;
            if (!recoverUnregistered(info)) {
                Path work = Files.createTempDirectory(tmpDir, path.hashPart() + "-");
                try {
                    Path target = work.resolve("tree");
                    maker.make(target);
                    moveIntoPlace(target, path);
                    made = true;
                } finally {
                    NarUnpacker.deleteTree(work);
                }
            }
            awaitReferences.run();
            register(info);
            return made;
        }
    }

    /**
     * A complete tree may be in place without its metadata when a realise was killed between the
     * rename and the registration. It is kept when its NAR hash is the expected one.
     */
    private boolean recoverUnregistered(PathInfo expected) throws IOException {
        Path real = realPath(expected.storePath());
        if (!Files.exists(real, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        NarDigest digest = NarDigest.of(real);
        if (digest.narHash().equals(expected.narHash()) && digest.narSize() == expected.narSize()) {
            return true;
        }
        Path aside = tmpDir.resolve(expected.storePath().hashPart() + "-stale-" + System.nanoTime());
        Files.move(real, aside, StandardCopyOption.ATOMIC_MOVE);
        NarUnpacker.deleteTree(aside);
        return false;
    }

    /** Removes work directories a killed process left for this path (we hold its lock). */
    private void cleanLeftovers(StorePath path) throws IOException {
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(tmpDir, path.hashPart() + "-*")) {
            for (Path p : leftovers) {
                NarUnpacker.deleteTree(p);
            }
        }
    }

    private void moveIntoPlace(Path tree, StorePath path) throws IOException {
        try {
            // renaming a directory rewrites its '..', which needs write permission on it for anyone but
            // root: a canonical (0555) tree gets u+w for the rename only
            var perms = Files.isDirectory(tree, LinkOption.NOFOLLOW_LINKS)
                    ? Files.getPosixFilePermissions(tree, LinkOption.NOFOLLOW_LINKS) : null;
            if (perms != null && !perms.contains(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE)) {
                var writable = java.util.EnumSet.copyOf(perms);
                writable.add(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
                Files.setPosixFilePermissions(tree, writable);
                Files.move(tree, realPath(path), StandardCopyOption.ATOMIC_MOVE);
                Files.setPosixFilePermissions(realPath(path), perms);
                return;
            }
            Files.move(tree, realPath(path), StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new NixException(NixException.Kind.IO, "cannot move " + path + " into the node store: "
                    + tmpDir + " and " + dir + " must be on the same file system", e);
        }
    }

    private void register(PathInfo info) throws IOException {
        Path meta = metaFile(info.storePath());
        Path tmp = metaDir.resolve("." + info.storePath().hashPart() + "-" + System.nanoTime());
        Files.writeString(tmp, info.format(), StandardCharsets.UTF_8);
        Files.move(tmp, meta, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Adds a local file or directory like {@code nix-store --add}: the path is
     * {@code StorePaths.source(name, narHash, references)}. With {@code scanReferences}, the
     * contents are scanned for the hashes of this store's valid paths, as a build's outputs are.
     */
    public StorePath add(Path source, String name, boolean scanReferences) {
        try {
            Set<StorePath> references = scanReferences ? scanReferences(source) : Set.of();
            NarDigest digest = NarDigest.of(source);
            StorePath path = StorePaths.source(name, digest.narHash(), references, false);
            PathInfo info = new PathInfo(path, digest.narHash(), digest.narSize(), List.copyOf(new TreeSet<>(references)),
                    Optional.empty(), List.of(), Optional.of("fixed:r:" + digest.narHash().toBase32()));
            install(info, target -> copyViaNar(source, target, digest), () -> {});
            return path;
        } catch (IOException e) {
            throw io("adding " + source + " to the node store", e);
        }
    }

    /**
     * Adds a local file or directory with the given references (which must be valid here), like
     * {@code nix-store --add} would if it took references: the path is
     * {@code StorePaths.source(name, narHash, references)}. For trees whose references are known
     * by construction (an environment view refers to exactly its packages).
     */
    public StorePath add(Path source, String name, Collection<StorePath> references) {
        try {
            for (StorePath ref : references) {
                if (!isValid(ref)) {
                    throw new NixException(NixException.Kind.NOT_FOUND,
                            "cannot add " + name + ": its reference " + ref + " is not valid in the node store " + dir);
                }
            }
            Set<StorePath> refs = new TreeSet<>(references);
            NarDigest digest = NarDigest.of(source);
            StorePath path = StorePaths.source(name, digest.narHash(), refs, false);
            PathInfo info = new PathInfo(path, digest.narHash(), digest.narSize(), List.copyOf(refs),
                    Optional.empty(), List.of(), Optional.of("fixed:r:" + digest.narHash().toBase32()));
            install(info, target -> copyViaNar(source, target, digest), () -> {});
            return path;
        } catch (IOException e) {
            throw io("adding " + source + " to the node store", e);
        }
    }

    /**
     * Removes a path from the store (garbage collection): first its registration, atomically, so it
     * is invalid from then on, then its tree. Under the path's lock, so a concurrent realise of the
     * same path either finishes first or starts again after. The caller decides what is garbage.
     * Returns false when the path was not there.
     */
    public boolean delete(StorePath path) {
        try (PathLocks.Held held = locks.acquire(path.hashPart())) {
            boolean registered = Files.deleteIfExists(metaFile(path));
            Path real = realPath(path);
            boolean present = Files.exists(real, LinkOption.NOFOLLOW_LINKS);
            if (present) {
                Path aside = tmpDir.resolve(path.hashPart() + "-deleted-" + System.nanoTime());
                Files.move(real, aside, StandardCopyOption.ATOMIC_MOVE);
                NarUnpacker.deleteTree(aside);
            }
            return registered || present;
        } catch (IOException e) {
            throw io("deleting " + path, e);
        }
    }

    private Set<StorePath> scanReferences(Path source) throws IOException {
        Map<String, StorePath> byHash = new HashMap<>();
        for (StorePath p : list()) {
            byHash.put(p.hashPart(), p);
        }
        ReferenceScanner scanner = new ReferenceScanner(byHash.keySet());
        try (scanner) {
            NarWriter.dump(source, scanner);
        }
        Set<StorePath> refs = new TreeSet<>();
        for (String h : scanner.found()) {
            refs.add(byHash.get(h));
        }
        return refs;
    }

    /** Copies a tree by streaming its NAR into the unpacker; fails if the source changed meanwhile. */
    private static void copyViaNar(Path source, Path target, NarDigest expected) throws IOException {
        PipedInputStream in = new PipedInputStream(1 << 20);
        PipedOutputStream out = new PipedOutputStream(in);
        Thread writer = Thread.ofVirtual().start(() -> {
            try (out) {
                NarWriter.dump(source, out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try (in) {
            NarUnpacker.unpack(in, target);
        } finally {
            try {
                writer.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        NarDigest copied = NarDigest.of(target);
        if (!copied.equals(expected)) {
            throw NixException.corrupt("%s changed while it was being added (NAR hash %s, then %s)",
                    source, expected.narHash().toSri(), copied.narHash().toSri());
        }
    }

    /** Writes the NAR of a valid path. */
    public void dump(StorePath path, OutputStream out) {
        if (!isValid(path)) {
            throw new NixException(NixException.Kind.NOT_FOUND, "store path " + path + " is not valid in " + dir);
        }
        try {
            NarWriter.dump(realPath(path), out);
        } catch (IOException e) {
            throw io("dumping " + path, e);
        }
    }

    /** One problem found by {@link #verify()}. */
    public record Problem(StorePath path, String description) {
        @Override
        public String toString() {
            return path + ": " + description;
        }
    }

    /** Re-hashes every valid path and checks that references are valid and no tree is unregistered. */
    public List<Problem> verify() {
        List<Problem> problems = new ArrayList<>();
        for (StorePath p : list()) {
            Optional<PathInfo> info = query(p);
            if (info.isEmpty()) {
                continue;
            }
            try {
                NarDigest digest = NarDigest.of(realPath(p));
                Hash expected = info.get().narHash();
                if (!digest.narHash().equals(expected)) {
                    problems.add(new Problem(p, "NAR hash is " + digest.narHash().toSri() + ", expected " + expected.toSri()));
                } else if (digest.narSize() != info.get().narSize()) {
                    problems.add(new Problem(p, "NAR size is " + digest.narSize() + ", expected " + info.get().narSize()));
                }
            } catch (IOException e) {
                problems.add(new Problem(p, "cannot be read: " + e.getMessage()));
            }
            for (StorePath ref : info.get().referencesWithoutSelf()) {
                if (!isValid(ref)) {
                    problems.add(new Problem(p, "references " + ref + ", which is not valid"));
                }
            }
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path e : entries) {
                String base = e.getFileName().toString();
                if (base.startsWith(".")) {
                    continue;
                }
                StorePath p = StorePath.fromBaseName(base);
                if (!Files.exists(metaFile(p))) {
                    problems.add(new Problem(p, "is present but not registered (an interrupted realise; the next realise checks and keeps or removes it)"));
                }
            }
        } catch (IOException e) {
            throw io("listing " + dir, e);
        }
        return problems;
    }

    private Path metaFile(StorePath path) {
        return metaDir.resolve(path.baseName());
    }

    private static NixException io(String what, IOException e) {
        return new NixException(NixException.Kind.IO, what + ": " + e, e);
    }

    private static void await(Future<?> f) {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NixException(NixException.Kind.IO, "interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof IOException io) {
                throw io("realising", io);
            }
            throw new NixException(NixException.Kind.IO, String.valueOf(c), c);
        }
    }
}
