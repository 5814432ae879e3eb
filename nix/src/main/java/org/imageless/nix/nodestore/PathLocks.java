package org.imageless.nix.nodestore;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per store path that holds across threads and processes: a JVM-local lock (file locks
 * are per process) and then an exclusive {@code fcntl} lock on {@code <locks>/<hash>.lock}. The
 * kernel drops the file lock when a process dies, so a killed realise never blocks the next one.
 */
final class PathLocks {

    private final Path dir;
    /** Per lock file, for the whole JVM: file locks belong to the process, so two NodeStore instances share these. */
    private static final ConcurrentHashMap<Path, ReentrantLock> LOCAL = new ConcurrentHashMap<>();

    PathLocks(Path dir) {
        this.dir = dir;
    }

    /** A held lock; closing releases it. */
    interface Held extends AutoCloseable {
        @Override
        void close() throws IOException;
    }

    Held acquire(String hashPart) throws IOException {
        ReentrantLock jvmLock = LOCAL.computeIfAbsent(dir.resolve(hashPart + ".lock").toAbsolutePath(), h -> new ReentrantLock());
        jvmLock.lock();
        FileChannel channel = null;
        try {
            channel = FileChannel.open(dir.resolve(hashPart + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock fileLock = channel.lock();
            FileChannel held = channel;
            return () -> {
                try {
                    fileLock.release();
                    held.close();
                } finally {
                    jvmLock.unlock();
                }
            };
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            jvmLock.unlock();
            throw e;
        }
    }
}
