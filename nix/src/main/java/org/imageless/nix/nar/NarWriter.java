package org.imageless.nix.nar;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.imageless.nix.NixException;
import org.imageless.nix.posix.PosixFiles;

/**
 * Serialises a file tree as a NAR, byte for byte as {@code nix-store --dump}: regular files
 * (executable when the owner may execute), symlinks (target as {@code readlink} returns it) and
 * directories (entries sorted by the bytes of their names). Headers and file contents go through
 * one reused buffer, so the output sees few large writes and no file is ever held in memory.
 */
public final class NarWriter {

    private static final int BUFFER_SIZE = 256 * 1024;

    private final OutputStream out;
    private final byte[] buf = new byte[BUFFER_SIZE];
    private final ByteBuffer view = ByteBuffer.wrap(buf);
    private int pos;

    private NarWriter(OutputStream out) {
        this.out = out;
    }

    /** Writes the NAR of {@code path} (not following it if it is a symlink) to {@code out}; does not close it. */
    public static void dump(Path path, OutputStream out) throws IOException {
        NarWriter w = new NarWriter(out);
        w.string(Nar.MAGIC);
        w.node(path);
        w.flushBuffer();
        out.flush();
    }

    private void node(Path path) throws IOException {
        PosixFileAttributes attrs = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        string("(");
        string("type");
        if (attrs.isRegularFile()) {
            string("regular");
            if (attrs.permissions().contains(PosixFilePermission.OWNER_EXECUTE)) {
                string("executable");
                string("");
            }
            string("contents");
            contents(path, attrs.size());
        } else if (attrs.isSymbolicLink()) {
            string("symlink");
            string("target");
            string(PosixFiles.readSymlink(path, Nar.MAX_TARGET));
        } else if (attrs.isDirectory()) {
            string("directory");
            for (Entry e : sortedEntries(path)) {
                string("entry");
                string("(");
                string("name");
                string(e.name);
                string("node");
                node(e.path);
                string(")");
            }
        } else {
            throw new NixException(NixException.Kind.INVALID,
                    "file '%s' has an unsupported type (not a regular file, symlink or directory)".formatted(path));
        }
        string(")");
    }

    private record Entry(byte[] name, Path path) {}

    private static List<Entry> sortedEntries(Path dir) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
            for (Path child : children) {
                String name = child.getFileName().toString();
                if (name.indexOf('\uFFFD') >= 0) {
                    throw new NixException(NixException.Kind.IO,
                            "file name '%s' in '%s' is not valid UTF-8 and cannot be read back by name".formatted(name, dir));
                }
                entries.add(new Entry(name.getBytes(StandardCharsets.UTF_8), child));
            }
        }
        entries.sort((a, b) -> Arrays.compareUnsigned(a.name, b.name));
        return entries;
    }

    private void contents(Path path, long size) throws IOException {
        longValue(size);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long left = size;
            while (left > 0) {
                if (pos == buf.length) {
                    flushBuffer();
                }
                view.limit((int) Math.min(buf.length, pos + left)).position(pos);
                int n = ch.read(view);
                if (n < 0) {
                    throw new NixException(NixException.Kind.IO,
                            "file '%s' shrank while being archived: expected %d bytes, it ended after %d".formatted(
                                    path, size, size - left));
                }
                pos += n;
                left -= n;
            }
        }
        pad(size);
    }

    private void string(String s) throws IOException {
        string(Nar.bytes(s));
    }

    private void string(byte[] s) throws IOException {
        longValue(s.length);
        if (buf.length - pos < s.length) {
            flushBuffer();
        }
        System.arraycopy(s, 0, buf, pos, s.length);
        pos += s.length;
        pad(s.length);
    }

    private void longValue(long v) throws IOException {
        if (buf.length - pos < 8) {
            flushBuffer();
        }
        for (int i = 0; i < 8; i++) {
            buf[pos++] = (byte) (v >>> (8 * i));
        }
    }

    private void pad(long length) throws IOException {
        int n = Nar.padding(length);
        if (buf.length - pos < n) {
            flushBuffer();
        }
        Arrays.fill(buf, pos, pos + n, (byte) 0);
        pos += n;
    }

    private void flushBuffer() throws IOException {
        if (pos > 0) {
            out.write(buf, 0, pos);
            pos = 0;
        }
    }
}
