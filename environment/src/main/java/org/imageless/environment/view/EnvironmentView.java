package org.imageless.environment.view;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SequencedSet;
import java.util.TreeMap;
import org.imageless.environment.lock.LockedPackage;
import org.imageless.environment.lock.Lockfile;
import org.imageless.nix.NixException;
import org.imageless.nix.nar.NarUnpacker;
import org.imageless.nix.nodestore.NodeStore;
import org.imageless.nix.store.StorePath;

/**
 * The environment view: the symlink forest of a lock's packages for one system, merged like Nix's
 * {@code buildEnv} (and leaving out what it leaves out, see {@link #skipped}). A directory that one package provides is a symlink to that package's directory;
 * a directory that several provide is a real directory whose entries are merged the same way; a file
 * (or symlink) that several provide goes to the package with the best (lowest) priority; the same
 * file from several packages is no conflict; otherwise it is an error naming both packages and the
 * path. Symlink targets are {@code /nix/store/...} paths, so the view is valid inside a container
 * that sees the closure at {@code /nix/store}.
 *
 * <p>The tree depends only on the packages' contents and the lock, so it is written as a
 * content-addressed store path ({@code nix-store --add} of the same tree, with the installed
 * packages as references): every node and the CLI compute the same path.
 */
public final class EnvironmentView {

    /** The store path name of every view. */
    public static final String NAME = "flox-env";
    /** Changes whenever the same inputs would give another tree: callers that remember views key them with it. */
    public static final int VERSION = 1;
    private static final int MAX_SYMLINKS = 40;

    private EnvironmentView() {
    }

    /** One package output that goes into the view. */
    public record Input(String installId, StorePath path, long priority) {}

    /**
     * Builds the view of {@code lock} for {@code system} into {@code store} and returns its store
     * path; its references are the installed outputs. The outputs ({@link Lockfile#storePathsToInstall})
     * must already be realised in {@code store}.
     */
    public static StorePath build(NodeStore store, Lockfile lock, String system) {
        List<Input> inputs = inputs(lock, system);
        Path work;
        try {
            work = Files.createTempDirectory("flox-view-");
        } catch (IOException e) {
            throw new NixException(NixException.Kind.IO, "cannot create a work directory for the environment view: " + e, e);
        }
        try {
            Path tree = work.resolve("view");
            write(tree, inputs, store.dir());
            return store.add(tree, NAME, inputs.stream().map(Input::path).toList());
        } finally {
            try {
                NarUnpacker.deleteTree(work);
            } catch (IOException ignored) {
                // a temporary directory left behind is harmless
            }
        }
    }

    /** The outputs to install of each package for {@code system}, in lock order, with their priorities. */
    public static List<Input> inputs(Lockfile lock, String system) {
        SequencedSet<StorePath> toInstall = lock.storePathsToInstall(system);
        List<Input> inputs = new ArrayList<>();
        SequencedSet<StorePath> seen = new LinkedHashSet<>();
        for (LockedPackage p : lock.packages(system)) {
            for (StorePath path : outputsOf(p)) {
                if (toInstall.contains(path) && seen.add(path)) {
                    inputs.add(new Input(p.installId(), path, p.priority()));
                }
            }
        }
        return inputs;
    }

    private static List<StorePath> outputsOf(LockedPackage p) {
        return switch (p) {
            case LockedPackage.Catalog c -> List.copyOf(c.outputs().values());
            case LockedPackage.Flake f -> List.copyOf(f.outputs().values());
            case LockedPackage.StorePathPackage s -> List.of(s.storePath());
        };
    }

    /**
     * Writes the forest of {@code inputs} at {@code target} (which must not exist). The packages'
     * files are read from {@code storeDir} (the directory holding {@code <hash>-<name>} trees);
     * symlinks in them that point into {@code /nix/store} are followed there. Pure apart from the
     * files it reads and writes.
     */
    public static void write(Path target, List<Input> inputs, Path storeDir) {
        List<Candidate> roots = new ArrayList<>();
        for (Input in : inputs) {
            Path host = storeDir.resolve(in.path().baseName());
            if (!Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
                throw NixException.invalid("package '%s' (%s) is not a directory and cannot go into an environment view%s",
                        in.installId(), in.path(), Files.exists(host, LinkOption.NOFOLLOW_LINKS) ? ""
                                : ": it is not in the node store " + storeDir + " (realise the closure first)");
            }
            roots.add(new Candidate(in, host, in.path().toString()));
        }
        try {
            Files.createDirectories(target.getParent());
            Files.createDirectory(target);
            mergeChildren(target, "", roots, storeDir);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the environment view at " + target + ": " + e.getMessage(), e);
        }
    }

    /** An entry of one package at some relative path: where it is on the host and what to link to. */
    private record Candidate(Input input, Path host, String link) {}

    private static void mergeChildren(Path dir, String rel, List<Candidate> parents, Path storeDir) throws IOException {
        Map<String, List<Candidate>> byName = new TreeMap<>();
        for (Candidate parent : parents) {
            Path resolved = resolve(parent.host(), storeDir);
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(resolved)) {
                for (Path e : entries) {
                    String name = e.getFileName().toString();
                    byName.computeIfAbsent(name, n -> new ArrayList<>())
                            .add(new Candidate(parent.input(), e, parent.link() + "/" + name));
                }
            }
        }
        for (Map.Entry<String, List<Candidate>> e : byName.entrySet()) {
            String childRel = rel.isEmpty() ? e.getKey() : rel + "/" + e.getKey();
            if (!skipped(childRel, e.getKey())) {
                merge(dir.resolve(e.getKey()), childRel, e.getValue(), storeDir);
            }
        }
    }

    /**
     * What Nix's {@code buildEnv} leaves out of every environment ({@code builder.pl}, {@code findFiles}):
     * build metadata ({@code nix-support}, {@code propagated-build-inputs}), files every package of a
     * kind has and that would always collide ({@code info/dir}, {@code perllocal.pod}, {@code log}),
     * and the generated part of {@code share/mime}.
     */
    static boolean skipped(String rel, String baseName) {
        String relName = "/" + rel;
        return relName.equals("/propagated-build-inputs") || relName.equals("/nix-support")
                || relName.endsWith("info/dir")
                || (relName.startsWith("/share/mime/") && !relName.startsWith("/share/mime/packages"))
                || baseName.equals("perllocal.pod") || baseName.equals("log");
    }

    private static void merge(Path out, String rel, List<Candidate> candidates, Path storeDir) throws IOException {
        if (candidates.size() == 1) {
            Files.createSymbolicLink(out, Path.of(candidates.getFirst().link()));
            return;
        }
        if (candidates.stream().allMatch(c -> isDirectory(c.host(), storeDir))) {
            Files.createDirectory(out);
            mergeChildren(out, rel, candidates, storeDir);
            return;
        }
        long best = candidates.stream().mapToLong(c -> c.input().priority()).min().orElseThrow();
        List<Candidate> winners = candidates.stream().filter(c -> c.input().priority() == best).toList();
        if (winners.size() > 1 && winners.stream().allMatch(c -> isDirectory(c.host(), storeDir))) {
            Files.createDirectory(out);
            mergeChildren(out, rel, winners, storeDir);
            return;
        }
        Candidate first = winners.getFirst();
        for (Candidate other : winners.subList(1, winners.size())) {
            if (!same(first.host(), other.host(), storeDir)) {
                throw NixException.invalid("packages '%s' and '%s' both provide '%s' (%s and %s) with the same priority %d: "
                                + "give one of them a lower priority number in the manifest (e.g. %s.priority = %d) to prefer it, "
                                + "or uninstall one", first.input().installId(), other.input().installId(), rel,
                        first.link(), other.link(), best, first.input().installId(), Math.max(0, best - 1));
            }
        }
        Files.createSymbolicLink(out, Path.of(first.link()));
    }

    /**
     * Resolves every symlink in a host path, as the kernel would inside a container that sees the
     * node store at {@code /nix/store}: link targets under {@code /nix/store/} are mapped into
     * {@code storeDir}. The result may not exist.
     */
    public static Path resolve(Path p, Path storeDir) throws IOException {
        java.util.Deque<String> todo = new java.util.ArrayDeque<>();
        for (Path c : p.toAbsolutePath()) {
            todo.addLast(c.toString());
        }
        Path current = Path.of("/");
        int links = 0;
        while (!todo.isEmpty()) {
            String c = todo.pollFirst();
            if (c.equals(".") || c.isEmpty()) {
                continue;
            }
            if (c.equals("..")) {
                current = current.getParent() == null ? current : current.getParent();
                continue;
            }
            Path next = current.resolve(c);
            if (!Files.isSymbolicLink(next)) {
                current = next;
                continue;
            }
            if (++links > MAX_SYMLINKS) {
                throw new IOException("too many levels of symbolic links at " + next);
            }
            String target = Files.readSymbolicLink(next).toString();
            if (target.startsWith(StorePath.STORE_DIR + "/")) {
                target = storeDir.resolve(target.substring(StorePath.STORE_DIR.length() + 1)).toString();
            }
            Path t = Path.of(target);
            List<String> parts = new ArrayList<>();
            for (Path tc : t) {
                parts.add(tc.toString());
            }
            for (int i = parts.size() - 1; i >= 0; i--) {
                todo.addFirst(parts.get(i));
            }
            if (t.isAbsolute()) {
                current = Path.of("/");
            }
        }
        return current;
    }

    private static boolean isDirectory(Path p, Path storeDir) {
        try {
            return Files.isDirectory(resolve(p, storeDir), LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return false;
        }
    }

    /** The same file: the same place once resolved, or regular files with the same bytes and mode. */
    private static boolean same(Path a, Path b, Path storeDir) throws IOException {
        Path ra = resolve(a, storeDir);
        Path rb = resolve(b, storeDir);
        if (ra.equals(rb)) {
            return true;
        }
        if (Files.isRegularFile(ra, LinkOption.NOFOLLOW_LINKS) && Files.isRegularFile(rb, LinkOption.NOFOLLOW_LINKS)) {
            return Files.isExecutable(ra) == Files.isExecutable(rb) && Files.mismatch(ra, rb) == -1;
        }
        return false;
    }

    /** For callers that want the installed outputs by install id (e.g. to name packages in errors). */
    public static Map<String, List<StorePath>> outputsByInstallId(List<Input> inputs) {
        Map<String, List<StorePath>> out = new LinkedHashMap<>();
        for (Input in : inputs) {
            out.computeIfAbsent(in.installId(), k -> new ArrayList<>()).add(in.path());
        }
        return out;
    }
}
