package org.imageless.nix.nar;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Runs a visitor on a thread of its own, fed through a bounded queue, so that reading and parsing a
 * NAR overlaps with writing it out ({@code nix-store --restore} does one after the other). File
 * contents travel in a fixed pool of recycled buffers: memory stays bounded however large the NAR.
 *
 * <p>The reading thread calls the visitor methods, then {@link #finish()} (which waits for the
 * writer and rethrows its failure) or, when reading failed, {@link #abort()}. A failure of the
 * writer is rethrown to the reader at its next call; the writer keeps draining meanwhile, so the
 * reader never blocks on a dead writer.
 */
final class PipelinedVisitor implements NarReader.Visitor {

    private static final int BUFFERS = 16;
    private static final int BUFFER_SIZE = 256 * 1024;

    private sealed interface Op {}

    private record Directory(String path) implements Op {}

    private record EndDirectory(String path) implements Op {}

    private record Symlink(String path, String target) implements Op {}

    private record FileStart(String path, boolean executable, long size) implements Op {}

    private record Chunk(byte[] buf, int length) implements Op {}

    private record FileEnd() implements Op {}

    private record Stop() implements Op {}

    private final NarReader.Visitor delegate;
    private final BlockingQueue<Op> ops = new ArrayBlockingQueue<>(BUFFERS * 2);
    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(BUFFERS);
    private final Thread writer;
    private int allocated;
    private volatile Throwable failure;
    private volatile boolean stopped;

    PipelinedVisitor(NarReader.Visitor delegate) {
        this.delegate = delegate;
        this.writer = Thread.ofPlatform().name("nar-writer").daemon().start(this::drain);
    }

    @Override
    public void directory(String path) throws IOException {
        put(new Directory(path));
    }

    @Override
    public void endDirectory(String path) throws IOException {
        put(new EndDirectory(path));
    }

    @Override
    public void symlink(String path, String target) throws IOException {
        put(new Symlink(path, target));
    }

    @Override
    public void file(String path, boolean executable, long size, InputStream contents) throws IOException {
        put(new FileStart(path, executable, size));
        for (long left = size; left > 0; ) {
            byte[] buf = buffer();
            int n = contents.readNBytes(buf, 0, (int) Math.min(buf.length, left));
            left -= n;
            put(new Chunk(buf, n));
        }
        put(new FileEnd());
    }

    /** Waits until everything is written; rethrows the writer's failure. */
    void finish() throws IOException {
        put(new Stop());
        join();
        rethrowFailure();
    }

    /** Stops the writer after a reading failure and waits for it; its own failure is dropped. */
    void abort() {
        try {
            ops.put(new Stop());
            join();
        } catch (IOException | InterruptedException e) {
            writer.interrupt();
        }
    }

    private void join() throws InterruptedIOException {
        try {
            writer.join();
        } catch (InterruptedException e) {
            writer.interrupt();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while unpacking a NAR");
        }
    }

    private byte[] buffer() throws IOException {
        byte[] buf = free.poll();
        if (buf != null) {
            return buf;
        }
        if (allocated < BUFFERS) {
            allocated++;
            return new byte[BUFFER_SIZE];
        }
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while unpacking a NAR");
        }
    }

    private void put(Op op) throws IOException {
        rethrowFailure();
        try {
            ops.put(op);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while unpacking a NAR");
        }
    }

    private void rethrowFailure() throws IOException {
        switch (failure) {
            case null -> { }
            case IOException e -> throw e;
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            case Throwable t -> throw new IOException(t);
        }
    }

    /** The writer thread: applies each operation in order until {@link Stop}. */
    private void drain() {
        try {
            while (!stopped) {
                Op op = ops.take();
                if (op instanceof Stop) {
                    return;
                }
                if (failure != null) {
                    recycle(op);
                    continue;
                }
                try {
                    switch (op) {
                        case Directory d -> delegate.directory(d.path());
                        case EndDirectory d -> delegate.endDirectory(d.path());
                        case Symlink s -> delegate.symlink(s.path(), s.target());
                        case FileStart f -> {
                            Contents contents = new Contents();
                            delegate.file(f.path(), f.executable(), f.size(), contents);
                            contents.skipRest();
                        }
                        case Chunk c -> recycle(c);
                        case FileEnd e -> { }
                        case Stop s -> { }
                    }
                } catch (Throwable t) {
                    failure = t;
                }
            }
        } catch (InterruptedException e) {
            failure = e;
        }
    }

    private void recycle(Op op) {
        if (op instanceof Chunk c) {
            free.offer(c.buf());
        }
    }

    /** One file's contents on the writer side: the chunks up to the file's end. */
    private final class Contents extends InputStream {
        private Chunk current;
        private int pos;
        private boolean ended;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (current == null || pos == current.length()) {
                if (current != null) {
                    free.offer(current.buf());
                    current = null;
                }
                if (ended || !next()) {
                    return -1;
                }
            }
            int n = Math.min(len, current.length() - pos);
            System.arraycopy(current.buf(), pos, b, off, n);
            pos += n;
            return n;
        }

        /** Takes the next chunk; false at the file's end. */
        private boolean next() throws IOException {
            Op op;
            try {
                op = ops.take();
            } catch (InterruptedException e) {
                throw new InterruptedIOException("interrupted while unpacking a NAR");
            }
            switch (op) {
                case Chunk c -> {
                    current = c;
                    pos = 0;
                    return true;
                }
                case Stop s -> {
                    // the reader failed in the middle of this file
                    stopped = true;
                    ended = true;
                    throw new IOException("NAR reading stopped in the middle of a file");
                }
                default -> {
                    ended = true;
                    return false;
                }
            }
        }

        void skipRest() throws IOException {
            byte[] sink = new byte[8192];
            while (read(sink, 0, sink.length) >= 0) {
                // discard what the visitor left unread
            }
        }
    }
}
