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
            FileLock fileLock = lock(channel);
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

    /**
     * {@code fcntl} deadlock detection counts processes, not threads: with paths realised on
     * several threads, process A (one thread holding x, another waiting for y) and process B (holding
     * y, waiting for x) look like a cycle and the kernel answers EDEADLK, though each thread holds
     * one path lock and no more, so no real deadlock among path locks exists. Such a refusal is retried
     * after a short random pause (found by 20 pods of one environment started at once).
     */
    private static FileLock lock(FileChannel channel) throws IOException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(5);
        while (true) {
            try {
                return channel.lock();
            } catch (IOException e) {
                if (!isFalseDeadlock(e) || System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextLong(2, 20));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while waiting for a store path lock");
                }
            }
        }
    }

    private static boolean isFalseDeadlock(IOException e) {
        return e.getMessage() != null && e.getMessage().contains("Resource deadlock avoided");
    }
}
