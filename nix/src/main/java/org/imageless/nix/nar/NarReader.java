package org.imageless.nix.nar;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * Streaming NAR parser. It checks the whole format as it goes and reports each file system object
 * to a {@link Visitor}, in NAR order; a regular file's contents are handed over as a stream that
 * reads straight from the NAR, so nothing large is ever in memory.
 *
 * <p>Only the canonical form that {@code nix-store --dump} writes is accepted, and it is rejected
 * with a {@link NarFormatException} naming the problem and its byte offset when: the magic is
 * wrong; the NAR ends early; padding is not zero; a string is longer than its bound (names 255
 * bytes, symlink targets 4095, tokens 16); an entry name is empty, {@code .}, {@code ..}, contains
 * {@code /} or NUL, or is not UTF-8; directory entries are not strictly sorted by their bytes
 * (which also rejects duplicates); a token is unknown or out of place; data follows the root node.
 * The stream is read exactly to its end.
 */
public final class NarReader {

    /**
     * Receives the objects of a NAR. Paths are relative to the NAR's root, {@code /}-separated,
     * and already checked: the root is {@code ""}, every other path is a chain of valid entry names.
     */
    public interface Visitor {
        /** A directory begins; its entries follow, then {@link #endDirectory}. */
        void directory(String path) throws IOException;

        /** The directory at {@code path} has no more entries. */
        void endDirectory(String path) throws IOException;

        /**
         * A regular file of {@code size} bytes. {@code contents} yields exactly those bytes; what
         * the visitor leaves unread is skipped (and still checked) when it returns.
         */
        void file(String path, boolean executable, long size, InputStream contents) throws IOException;

        /** A symlink to {@code target}, exactly as recorded (relative or absolute, maybe dangling). */
        void symlink(String path, String target) throws IOException;
    }

    private final Input in;
    private final Visitor visitor;

    private NarReader(InputStream nar, Visitor visitor) {
        this.in = new Input(nar);
        this.visitor = visitor;
    }

    /** Parses the whole of {@code nar}, to its end, reporting each object to {@code visitor}. */
    public static void read(InputStream nar, Visitor visitor) throws IOException {
        new NarReader(nar, visitor).run();
    }

    /** One open directory: its path and the name of its last entry, to check order. */
    private static final class Dir {
        final String path;
        byte[] lastName;

        Dir(String path) {
            this.path = path;
        }
    }

    private void run() throws IOException {
        expect(Nar.MAGIC, "magic");
        Deque<Dir> open = new ArrayDeque<>();
        String path = "";
        while (true) {
            // a node starts here
            if (node(path)) {
                if (open.size() >= Nar.MAX_DEPTH) {
                    throw new NarFormatException("NAR directories are nested deeper than " + Nar.MAX_DEPTH, in.offset);
                }
                open.push(new Dir(path));
            } else if (!open.isEmpty()) {
                expect(")", "end of directory entry");
            } else {
                break;
            }
            // after a node: either a further entry of the innermost directory, or its end
            while (true) {
                Dir dir = open.peek();
                long at = in.offset;
                String token = token("directory entry or ')'");
                if (token.equals("entry")) {
                    expect("(", "start of directory entry");
                    expect("name", "entry name tag");
                    byte[] name = name(dir.lastName);
                    dir.lastName = name;
                    expect("node", "entry node tag");
                    String nameText = new String(name, StandardCharsets.UTF_8);
                    path = dir.path.isEmpty() ? nameText : dir.path + "/" + nameText;
                    break;
                }
                if (!token.equals(")")) {
                    throw unexpected(token, "'entry' or ')' in directory", at);
                }
                open.pop();
                visitor.endDirectory(dir.path);
                if (open.isEmpty()) {
                    in.expectEnd();
                    return;
                }
                expect(")", "end of directory entry");
            }
        }
        in.expectEnd();
    }

    /** Parses one node at {@code path}; returns true when it is a directory that stays open. */
    private boolean node(String path) throws IOException {
        expect("(", "start of node");
        expect("type", "node type tag");
        long at = in.offset;
        String type = token("node type");
        switch (type) {
            case "regular" -> {
                long tagAt = in.offset;
                String tag = token("'executable' or 'contents'");
                boolean executable = tag.equals("executable");
                if (executable) {
                    long markerAt = in.offset;
                    String marker = token("executable marker");
                    if (!marker.isEmpty()) {
                        throw unexpected(marker, "'' after 'executable'", markerAt);
                    }
                    tagAt = in.offset;
                    tag = token("'contents'");
                }
                if (!tag.equals("contents")) {
                    throw unexpected(tag, executable ? "'contents'" : "'executable' or 'contents'", tagAt);
                }
                contents(path, executable);
                expect(")", "end of regular file");
                return false;
            }
            case "symlink" -> {
                expect("target", "symlink target tag");
                String target = target();
                visitor.symlink(path, target);
                expect(")", "end of symlink");
                return false;
            }
            case "directory" -> {
                visitor.directory(path);
                return true;
            }
            default -> throw unexpected(type, "node type 'regular', 'symlink' or 'directory'", at);
        }
    }

    private void contents(String path, boolean executable) throws IOException {
        long at = in.offset;
        long size = in.readLong("file size");
        if (size < 0) {
            throw new NarFormatException("NAR file size " + Long.toUnsignedString(size) + " of '" + path
                    + "' is larger than any file can be", at);
        }
        Contents contents = new Contents(size);
        visitor.file(path, executable, size, contents);
        contents.skipRest();
        in.padding(size, "file contents");
    }

    private byte[] name(byte[] previous) throws IOException {
        long at = in.offset;
        byte[] name = in.readString(Nar.MAX_NAME, "entry name");
        String shown = show(name);
        if (name.length == 0) {
            throw new NarFormatException("NAR entry name is empty", at);
        }
        if (Arrays.equals(name, DOT) || Arrays.equals(name, DOTDOT)) {
            throw new NarFormatException("NAR entry name '" + shown + "' is not allowed", at);
        }
        for (byte b : name) {
            if (b == '/' || b == 0) {
                throw new NarFormatException("NAR entry name '" + shown + "' contains "
                        + (b == 0 ? "a NUL byte" : "'/'"), at);
            }
        }
        utf8(name, "NAR entry name '" + shown + "'", at);
        if (previous != null) {
            int c = Arrays.compareUnsigned(previous, name);
            if (c == 0) {
                throw new NarFormatException("NAR entry name '" + shown + "' is a duplicate", at);
            }
            if (c > 0) {
                throw new NarFormatException("NAR entry name '" + shown + "' is not sorted after '"
                        + show(previous) + "'", at);
            }
        }
        return name;
    }

    private String target() throws IOException {
        long at = in.offset;
        byte[] target = in.readString(Nar.MAX_TARGET, "symlink target");
        if (target.length == 0) {
            throw new NarFormatException("NAR symlink target is empty", at);
        }
        for (byte b : target) {
            if (b == 0) {
                throw new NarFormatException("NAR symlink target '" + show(target) + "' contains a NUL byte", at);
            }
        }
        return utf8(target, "NAR symlink target '" + show(target) + "'", at);
    }

    private static final byte[] DOT = {'.'};
    private static final byte[] DOTDOT = {'.', '.'};

    private static String utf8(byte[] bytes, String what, long at) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new NarFormatException(what + " is not valid UTF-8", at);
        }
    }

    private void expect(String expected, String what) throws IOException {
        long at = in.offset;
        String token = token(what);
        if (!token.equals(expected)) {
            throw unexpected(token, "'" + expected + "' (" + what + ")", at);
        }
    }

    private String token(String what) throws IOException {
        return new String(in.readString(Nar.MAX_TOKEN, what), StandardCharsets.ISO_8859_1);
    }

    private static NarFormatException unexpected(String found, String expected, long at) {
        return new NarFormatException("NAR has '" + show(found.getBytes(StandardCharsets.ISO_8859_1))
                + "' where " + expected + " was expected", at);
    }

    /** {@code bytes} for a message: printable ASCII as is, the rest escaped, at most 64 bytes. */
    static String show(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        int n = Math.min(bytes.length, 64);
        for (int i = 0; i < n; i++) {
            int b = bytes[i] & 0xff;
            if (b >= 0x20 && b < 0x7f && b != '\\' && b != '\'') {
                s.append((char) b);
            } else {
                s.append("\\x").append(Character.forDigit(b >> 4, 16)).append(Character.forDigit(b & 15, 16));
            }
        }
        if (bytes.length > n) {
            s.append("...");
        }
        return s.toString();
    }

    /** The contents of one regular file: a window of exactly {@code size} bytes onto the NAR. */
    private final class Contents extends InputStream {
        private long left;

        Contents(long size) {
            this.left = size;
        }

        @Override
        public int read() throws IOException {
            if (left == 0) {
                return -1;
            }
            int b = in.readByte("file contents");
            left--;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (left == 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left), "file contents");
            left -= n;
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = in.skip(Math.min(Math.max(n, 0), left), "file contents");
            left -= skipped;
            return skipped;
        }

        @Override
        public int available() {
            return (int) Math.min(Math.min(left, in.buffered()), Integer.MAX_VALUE);
        }

        void skipRest() throws IOException {
            while (left > 0) {
                left -= in.skip(left, "file contents");
            }
        }
    }

    /** The NAR byte stream with its offset, buffered, reading straight through for large requests. */
    private static final class Input {
        private final InputStream stream;
        private final byte[] buf = new byte[64 * 1024];
        private int pos;
        private int limit;
        /** Bytes of the NAR consumed so far: the offset of the next byte. */
        long offset;

        Input(InputStream stream) {
            this.stream = stream;
        }

        int buffered() {
            return limit - pos;
        }

        private boolean fill() throws IOException {
            pos = 0;
            limit = 0;
            int n;
            do {
                n = stream.read(buf, 0, buf.length);
            } while (n == 0);
            if (n < 0) {
                return false;
            }
            limit = n;
            return true;
        }

        private NarFormatException truncated(String what) {
            return new NarFormatException("NAR ends unexpectedly in " + what, offset);
        }

        int readByte(String what) throws IOException {
            if (pos == limit && !fill()) {
                throw truncated(what);
            }
            offset++;
            return buf[pos++] & 0xff;
        }

        /** Reads 1..len bytes; fails at end of stream. */
        int read(byte[] b, int off, int len, String what) throws IOException {
            if (pos == limit) {
                if (len >= buf.length) {
                    int n;
                    do {
                        n = stream.read(b, off, len);
                    } while (n == 0);
                    if (n < 0) {
                        throw truncated(what);
                    }
                    offset += n;
                    return n;
                }
                if (!fill()) {
                    throw truncated(what);
                }
            }
            int n = Math.min(len, limit - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            offset += n;
            return n;
        }

        long skip(long n, String what) throws IOException {
            if (n == 0) {
                return 0;
            }
            if (pos == limit && !fill()) {
                throw truncated(what);
            }
            int k = (int) Math.min(n, limit - pos);
            pos += k;
            offset += k;
            return k;
        }

        void readFully(byte[] b, String what) throws IOException {
            int off = 0;
            while (off < b.length) {
                off += read(b, off, b.length - off, what);
            }
        }

        long readLong(String what) throws IOException {
            long v = 0;
            if (limit - pos >= 8) {
                for (int i = 0; i < 8; i++) {
                    v |= (buf[pos + i] & 0xffL) << (8 * i);
                }
                pos += 8;
                offset += 8;
                return v;
            }
            for (int i = 0; i < 8; i++) {
                v |= (long) readByte(what) << (8 * i);
            }
            return v;
        }

        byte[] readString(int max, String what) throws IOException {
            long at = offset;
            long len = readLong("length of " + what);
            if (len < 0 || len > max) {
                throw new NarFormatException("NAR " + what + " is " + Long.toUnsignedString(len)
                        + " bytes long, more than the " + max + " allowed", at);
            }
            byte[] s = new byte[(int) len];
            readFully(s, what);
            padding(len, what);
            return s;
        }

        void padding(long length, String what) throws IOException {
            int n = Nar.padding(length);
            for (int i = 0; i < n; i++) {
                long at = offset;
                if (readByte("padding of " + what) != 0) {
                    throw new NarFormatException("NAR padding after " + what + " is not zero", at);
                }
            }
        }

        void expectEnd() throws IOException {
            if (pos < limit || fill()) {
                throw new NarFormatException("NAR has trailing data after the root node", offset);
            }
        }
    }
}
