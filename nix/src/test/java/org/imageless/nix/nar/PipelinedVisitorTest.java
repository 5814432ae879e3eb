package org.imageless.nix.nar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.imageless.nix.NixException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class PipelinedVisitorTest {

    /** Records what it is told, on whatever thread it runs. */
    static class Recorder implements NarReader.Visitor {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final List<Thread> threads = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void directory(String path) {
            record("dir " + path);
        }

        @Override
        public void endDirectory(String path) {
            record("end " + path);
        }

        @Override
        public void file(String path, boolean executable, long size, InputStream contents) throws IOException {
            byte[] data = contents.readAllBytes();
            record("file " + path + " " + executable + " " + size + " " + java.util.Arrays.hashCode(data) + " " + data.length);
        }

        @Override
        public void symlink(String path, String target) {
            record("link " + path + " -> " + target);
        }

        void record(String event) {
            events.add(event);
            threads.add(Thread.currentThread());
        }
    }

    @Test
    void deliversEveryEventInOrderOnAnotherThreadWithContentsSplitAcrossBuffers() throws IOException {
        byte[] big = new byte[3 * 256 * 1024 + 17];
        new Random(5).nextBytes(big);
        Recorder direct = new Recorder();
        feed(direct, big);
        Recorder piped = new Recorder();
        PipelinedVisitor pipeline = new PipelinedVisitor(piped);
        feed(pipeline, big);
        pipeline.finish();

        assertThat(piped.events).containsExactlyElementsOf(direct.events);
        assertThat(piped.threads).doesNotContain(Thread.currentThread());
    }

    @Test
    void aWriterFailureReachesTheReaderWhichStops() {
        Recorder failing = new Recorder() {
            @Override
            public void symlink(String path, String target) {
                throw NixException.invalid("disk says no at %s", path);
            }
        };
        PipelinedVisitor pipeline = new PipelinedVisitor(failing);
        assertThatThrownBy(() -> {
            pipeline.directory("");
            pipeline.symlink("a", "b");
            // many more events: the failure must surface at one of them, or at finish()
            for (int i = 0; i < 10_000; i++) {
                pipeline.file("f" + i, false, 1000, new ByteArrayInputStream(new byte[1000]));
            }
            pipeline.finish();
        }).isInstanceOf(NixException.class).hasMessageContaining("disk says no at a");
        pipeline.abort();
        assertThat(failing.events).doesNotContain("file f9999 false 1000");
    }

    @Test
    void aReadingFailureInTheMiddleOfAFileStopsTheWriter() {
        Recorder recorder = new Recorder();
        PipelinedVisitor pipeline = new PipelinedVisitor(recorder);
        InputStream breaksOff = new InputStream() {
            int served;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0];
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (served >= 600_000) {
                    throw new IOException("connection reset");
                }
                int n = Math.min(len, 600_000 - served);
                java.util.Arrays.fill(b, off, off + n, (byte) 0);
                served += n;
                return n;
            }
        };
        assertThatThrownBy(() -> pipeline.file("big", false, 1_000_000, breaksOff))
                .hasMessageContaining("connection reset");
        pipeline.abort();
        assertThat(recorder.events).noneMatch(e -> e.startsWith("file big"));
    }

    private static void feed(NarReader.Visitor v, byte[] big) throws IOException {
        v.directory("");
        v.file("big", true, big.length, new ByteArrayInputStream(big));
        v.directory("sub");
        v.file("sub/empty", false, 0, InputStream.nullInputStream());
        v.symlink("sub/link", "../big");
        v.endDirectory("sub");
        v.endDirectory("");
    }
}
