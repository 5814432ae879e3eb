package org.imageless.nix.nar;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Builds NAR bytes by hand, valid or not: strings, raw length fields, raw bytes. */
final class TestNar {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static TestNar magic() {
        return new TestNar().s("nix-archive-1");
    }

    /** A string: u64 little-endian length, the bytes, zero padding to 8. */
    TestNar s(String... strings) {
        for (String s : strings) {
            b(s.getBytes(StandardCharsets.UTF_8));
        }
        return this;
    }

    TestNar b(byte[] bytes) {
        u64(bytes.length);
        out.writeBytes(bytes);
        out.writeBytes(new byte[Nar.padding(bytes.length)]);
        return this;
    }

    TestNar u64(long v) {
        for (int i = 0; i < 8; i++) {
            out.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    TestNar raw(byte... bytes) {
        out.writeBytes(bytes);
        return this;
    }

    TestNar file(String contents) {
        return s("(", "type", "regular", "contents").s(contents).s(")");
    }

    TestNar symlink(String target) {
        return s("(", "type", "symlink", "target", target, ")");
    }

    TestNar dir() {
        return s("(", "type", "directory");
    }

    TestNar entry(String name) {
        return s("entry", "(", "name", name, "node");
    }

    /** Closes an entry's node wrapper, or a directory: both are ")". */
    TestNar end() {
        return s(")");
    }

    long size() {
        return out.size();
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
