package org.imageless.runtime;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.imageless.nix.NixException;
import org.imageless.nix.store.StorePath;

/**
 * What running containers use, for the node store's garbage collection: {@code state_dir/roots/<id>}
 * lists the store paths a container uses (written at create before anything is fetched, removed on
 * delete). {@code state_dir/gc.lock} keeps a collection from running between a create's check that
 * a path is present and its root being recorded: creates hold it shared, a collection exclusive.
 */
public final class GcRoots {

    private final Path stateDir;

    public GcRoots(Path stateDir) {
        this.stateDir = stateDir;
    }

    public Path dir() {
        return stateDir.resolve("roots");
    }

    /** A held gc lock; closing releases it. */
    public interface Held extends AutoCloseable {
        @Override
        void close();
    }

    /** Held by a create while it decides what is present and records its roots. */
    public Held shared() {
        return lock(true);
    }

    /** Held by a collection. */
    public Held exclusive() {
        return lock(false);
    }

    /**
     * File locks belong to the process, so threads of one JVM share them: a read-write lock per
     * lock file orders the JVM's threads, and the shared file lock is taken by the first reader
     * and released by the last.
     */
    private static final class JvmLock {
        final java.util.concurrent.locks.ReentrantReadWriteLock threads = new java.util.concurrent.locks.ReentrantReadWriteLock();
        int readers;
        FileChannel channel;
        FileLock lock;
    }

    private static final java.util.concurrent.ConcurrentHashMap<Path, JvmLock> JVM_LOCKS = new java.util.concurrent.ConcurrentHashMap<>();

    private Held lock(boolean shared) {
        Path file = stateDir.resolve("gc.lock").toAbsolutePath().normalize();
        JvmLock jvm = JVM_LOCKS.computeIfAbsent(file, f -> new JvmLock());
        var threadLock = shared ? jvm.threads.readLock() : jvm.threads.writeLock();
        threadLock.lock();
        try {
            synchronized (jvm) {
                if (!shared || jvm.readers++ == 0) {
                    try {
                        Files.createDirectories(stateDir);
                        jvm.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                                StandardOpenOption.WRITE);
                        jvm.lock = jvm.channel.lock(0, Long.MAX_VALUE, shared);
                    } catch (IOException | RuntimeException e) {
                        if (shared) {
                            jvm.readers--;
                        }
                        closeQuietly(jvm);
                        throw e;
                    }
                }
            }
        } catch (IOException e) {
            threadLock.unlock();
            throw new NixException(NixException.Kind.IO, "cannot lock " + file + ": " + e, e);
        } catch (RuntimeException e) {
            threadLock.unlock();
            throw e;
        }
        return () -> {
            synchronized (jvm) {
                if (!shared || --jvm.readers == 0) {
                    closeQuietly(jvm);
                }
            }
            threadLock.unlock();
        };
    }

    private static void closeQuietly(JvmLock jvm) {
        try {
            if (jvm.lock != null) {
                jvm.lock.release();
            }
            if (jvm.channel != null) {
                jvm.channel.close();
            }
        } catch (IOException ignored) {
            // closing the channel releases the lock anyway
        } finally {
            jvm.lock = null;
            jvm.channel = null;
        }
    }

    /** Root names of kept prefetches ({@code flox-node prefetch --keep}) start with this; container ids never do in practice. */
    public static final String PREFETCH = "prefetch+";

    /** The root of a kept prefetch of {@code ref}: one per environment (and pinned generation), replaced by the next. */
    public static String prefetchRoot(org.imageless.environment.EnvironmentRef ref) {
        return PREFETCH + ref.owner() + "+" + ref.name() + (ref.generation().isPresent() ? "+" + ref.generation().getAsInt() : "");
    }

    /** Removes root {@code id}; false when there was none. */
    public boolean remove(String id) {
        try {
            return Files.deleteIfExists(dir().resolve(id));
        } catch (IOException e) {
            throw new NixException(NixException.Kind.IO, "cannot remove the gc root " + dir().resolve(id) + ": " + e, e);
        }
    }

    public void write(String containerId, Collection<StorePath> paths) {
        try {
            Files.createDirectories(dir());
            Path tmp = dir().resolve("." + containerId + ".tmp");
            Files.writeString(tmp, paths.stream().map(StorePath::toString).sorted().collect(Collectors.joining("\n", "", "\n")));
            Files.move(tmp, dir().resolve(containerId), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new NixException(NixException.Kind.IO, "cannot record the gc root of container " + containerId + ": " + e, e);
        }
    }

    /** Every store path some container's root lists. */
    public Set<StorePath> all() {
        Set<StorePath> out = new TreeSet<>();
        if (!Files.isDirectory(dir())) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir())) {
            for (Path f : files) {
                if (f.getFileName().toString().startsWith(".")) {
                    continue;
                }
                try {
                    for (String line : Files.readAllLines(f)) {
                        if (!line.isBlank()) {
                            out.add(StorePath.parse(line.strip()));
                        }
                    }
                } catch (NoSuchFileException gone) {
                    // deleted meanwhile
                }
            }
        } catch (IOException e) {
            throw new NixException(NixException.Kind.IO, "cannot read gc roots in " + dir() + ": " + e, e);
        }
        return out;
    }
}
