package org.imageless.nix.nar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.imageless.nix.NixException;
import org.imageless.nix.posix.PosixFiles;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed and malicious NARs: each is rejected with a message naming the problem and the byte
 * offset, and neither the target nor anything beside it is left behind.
 */
class NarReaderTest {

    @TempDir
    Path dir;
    Path outside;
    Path target;

    @BeforeEach
    void layout() throws IOException {
        outside = Files.createDirectory(dir.resolve("outside"));
        target = dir.resolve("target");
    }

    record Case(String name, byte[] nar, String message, long offset) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** The case's NAR is {@code prefix} followed by {@code bad}; the error is at the start of {@code bad}. */
    private static Case at(String name, TestNar prefix, java.util.function.Consumer<TestNar> bad, String message) {
        long offset = prefix.size();
        bad.accept(prefix);
        return new Case(name, prefix.bytes(), message, offset);
    }

    static Stream<Case> malformed() {
        // an absolute path outside the target a malicious NAR might try to write through
        String escape = "/tmp/nar-escape-" + ProcessHandle.current().pid();
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("empty input", new byte[0], "NAR ends unexpectedly in length of magic", 0));
        cases.add(at("wrong magic", new TestNar(), n -> n.s("nix-archive-2").file("x"),
                "NAR has 'nix-archive-2' where 'nix-archive-1' (magic) was expected"));
        cases.add(new Case("text instead of a NAR", "hello world, this is not a NAR".getBytes(StandardCharsets.UTF_8),
                "NAR magic is 8031924123371070824 bytes long, more than the 16 allowed", 0));
        cases.add(at("entry named ..", TestNar.magic().dir().s("entry", "(", "name"), n -> n.s("..", "node").file("x"),
                "NAR entry name '..' is not allowed"));
        cases.add(at("entry named .", TestNar.magic().dir().s("entry", "(", "name"), n -> n.s(".", "node").file("x"),
                "NAR entry name '.' is not allowed"));
        cases.add(at("empty entry name", TestNar.magic().dir().s("entry", "(", "name"), n -> n.s("", "node").file("x"),
                "NAR entry name is empty"));
        cases.add(at("../escape", TestNar.magic().dir().s("entry", "(", "name"), n -> n.s("../escape", "node").file("x"),
                "NAR entry name '../escape' contains '/'"));
        cases.add(at("slash in name", TestNar.magic().dir().s("entry", "(", "name"), n -> n.s("a/b", "node").file("x"),
                "NAR entry name 'a/b' contains '/'"));
        cases.add(at("absolute name", TestNar.magic().dir().s("entry", "(", "name"), n -> n.s(escape, "node").file("x"),
                "contains '/'"));
        cases.add(at("NUL in name", TestNar.magic().dir().s("entry", "(", "name"), n -> n.s("a\0b", "node").file("x"),
                "NAR entry name 'a\\x00b' contains a NUL byte"));
        cases.add(at("name of 256 bytes", TestNar.magic().dir().s("entry", "(", "name"),
                n -> n.s("n".repeat(256), "node").file("x"), "NAR entry name is 256 bytes long, more than the 255 allowed"));
        cases.add(at("name not UTF-8", TestNar.magic().dir().s("entry", "(", "name"),
                n -> n.b(new byte[] {'a', (byte) 0xff}).s("node").file("x"), "NAR entry name 'a\\xff' is not valid UTF-8"));
        cases.add(at("huge name length", TestNar.magic().dir().s("entry", "(", "name"), n -> n.u64(-1L),
                "NAR entry name is 18446744073709551615 bytes long, more than the 255 allowed"));
        cases.add(at("duplicate entry", TestNar.magic().dir().entry("a").file("1").end().s("entry", "(", "name"),
                n -> n.s("a", "node").file("2").end().end(), "NAR entry name 'a' is a duplicate"));
        cases.add(at("unsorted entries", TestNar.magic().dir().entry("b").file("1").end().s("entry", "(", "name"),
                n -> n.s("a", "node").file("2").end().end(), "NAR entry name 'a' is not sorted after 'b'"));
        cases.add(at("entries in Java String order, not byte order", TestNar.magic().dir().entry("😀").file("1").end()
                        .s("entry", "(", "name"), n -> n.s("Ａ", "node").file("2").end().end(),
                "NAR entry name '\\xef\\xbc\\xa1' is not sorted after '\\xf0\\x9f\\x98\\x80'"));
        cases.add(at("write through a symlink of the same name", TestNar.magic().dir().entry("a").symlink(outsideDir())
                        .end().s("entry", "(", "name"), n -> n.s("a", "node").dir().entry("b").file("pwned").end().end()
                        .end().end(), "NAR entry name 'a' is a duplicate"));
        cases.add(at("write below a symlink by path", TestNar.magic().dir().entry("a").symlink(outsideDir())
                        .end().s("entry", "(", "name"), n -> n.s("a/b", "node").file("pwned").end().end(),
                "NAR entry name 'a/b' contains '/'"));
        cases.add(at("unknown node type", TestNar.magic().s("(", "type"), n -> n.s("fifo", ")"),
                "NAR has 'fifo' where node type 'regular', 'symlink' or 'directory' was expected"));
        cases.add(at("unknown token in directory", TestNar.magic().dir(), n -> n.s("entri").end(),
                "NAR has 'entri' where 'entry' or ')' in directory was expected"));
        cases.add(at("token too long", TestNar.magic().dir(), n -> n.s("entry".repeat(4)),
                "NAR directory entry or ')' is 20 bytes long, more than the 16 allowed"));
        cases.add(at("executable marker not empty", TestNar.magic().s("(", "type", "regular", "executable"),
                n -> n.s("yes", "contents", "x", ")"), "NAR has 'yes' where '' after 'executable' was expected"));
        cases.add(at("regular file without contents", TestNar.magic().s("(", "type", "regular"), n -> n.s(")"),
                "NAR has ')' where 'executable' or 'contents' was expected"));
        cases.add(at("file size beyond any file", TestNar.magic().s("(", "type", "regular", "contents"),
                n -> n.u64(-2L), "NAR file size 18446744073709551614 of '' is larger than any file can be"));
        cases.add(at("file size larger than the NAR", TestNar.magic().s("(", "type", "regular", "contents").u64(1L << 40)
                        .raw("abc".getBytes(StandardCharsets.UTF_8)), n -> { }, "NAR ends unexpectedly in file contents"));
        cases.add(at("empty symlink target", TestNar.magic().s("(", "type", "symlink", "target"), n -> n.s("", ")"),
                "NAR symlink target is empty"));
        cases.add(at("NUL in symlink target", TestNar.magic().s("(", "type", "symlink", "target"), n -> n.s("a\0", ")"),
                "NAR symlink target 'a\\x00' contains a NUL byte"));
        cases.add(at("symlink target of 4096 bytes", TestNar.magic().s("(", "type", "symlink", "target"),
                n -> n.s("t".repeat(4096), ")"), "NAR symlink target is 4096 bytes long, more than the 4095 allowed"));
        cases.add(at("non-zero padding after a name", TestNar.magic().dir().s("entry", "(", "name").u64(1).raw((byte) 'a'),
                n -> n.raw((byte) 1, (byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0), "NAR padding after entry name is not zero"));
        cases.add(at("non-zero padding after contents", TestNar.magic().s("(", "type", "regular", "contents").u64(3)
                        .raw("abc".getBytes(StandardCharsets.UTF_8)).raw((byte) 0, (byte) 0, (byte) 0, (byte) 0),
                n -> n.raw((byte) 7).s(")"), "NAR padding after file contents is not zero"));
        cases.add(at("missing close of a file", TestNar.magic().s("(", "type", "regular", "contents", "x"),
                n -> n.s("("), "NAR has '(' where ')' (end of regular file) was expected"));
        cases.add(at("trailing zero byte", TestNar.magic().dir().entry("a").file("x").end().end(),
                n -> n.raw((byte) 0), "NAR has trailing data after the root node"));
        cases.add(at("a second NAR after the first", TestNar.magic().file("one"),
                n -> n.s("nix-archive-1").file("two"), "NAR has trailing data after the root node"));
        return cases.stream();
    }

    private static String outsideDir() {
        return "/tmp/nar-escape-" + ProcessHandle.current().pid();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void rejectsAMalformedNarNamingTheProblemAndOffsetAndLeavesNothingBehind(Case c) throws IOException {
        Path escape = Path.of(outsideDir());
        Files.createDirectories(escape);
        try {
            NarFormatException read = catchThrowableOfType(NarFormatException.class,
                    () -> NarReader.read(new ByteArrayInputStream(c.nar()), new CollectingVisitor()));
            assertThat(read).as(c.name()).isNotNull();
            assertThat(read.getMessage()).contains(c.message()).endsWith("(at byte offset " + c.offset() + ")");
            assertThat(read.offset()).isEqualTo(c.offset());
            assertThat(read.kind()).isEqualTo(NixException.Kind.CORRUPT);

            assertThatThrownBy(() -> NarUnpacker.unpack(new ByteArrayInputStream(c.nar()), target))
                    .isInstanceOf(NarFormatException.class).hasMessage(read.getMessage());
            assertNothingLeft();
            try (Stream<Path> s = Files.list(escape)) {
                assertThat(s).as("nothing written through a symlink").isEmpty();
            }
        } finally {
            NarUnpacker.deleteTree(escape);
        }
    }

    @Test
    void rejectsATruncationAtEveryBytePositionOfAValidNar() throws IOException {
        byte[] nar = validNar();
        NarUnpacker.unpack(new ByteArrayInputStream(nar), target);
        NarUnpacker.deleteTree(target);
        for (int length = 0; length < nar.length; length++) {
            byte[] prefix = Arrays.copyOf(nar, length);
            NarFormatException e = catchThrowableOfType(NarFormatException.class,
                    () -> NarUnpacker.unpack(new ByteArrayInputStream(prefix), target));
            assertThat(e).as("truncated to %d bytes", length).isNotNull();
            assertThat(e.getMessage()).contains("NAR ends unexpectedly in");
            assertThat(e.offset()).isEqualTo(length);
            assertNothingLeft();
        }
    }

    @Test
    void rejectsDirectoriesNestedDeeperThanAnyPathCanReach() {
        TestNar n = TestNar.magic();
        for (int i = 0; i <= Nar.MAX_DEPTH; i++) {
            n.dir().entry("d");
        }
        n.file("x");
        assertThatThrownBy(() -> NarReader.read(new ByteArrayInputStream(n.bytes()), new CollectingVisitor()))
                .isInstanceOf(NarFormatException.class)
                .hasMessageContaining("nested deeper than " + Nar.MAX_DEPTH);
    }

    @Test
    void unpacksWithCanonicalModesAndTimesAndConsumesTheStreamExactly() throws IOException {
        byte[] nar = validNar();
        InputStream in = new ByteArrayInputStream(nar);
        NarUnpacker.unpack(in, target);
        assertThat(in.read()).isEqualTo(-1);
        assertThat(Files.getPosixFilePermissions(target)).isEqualTo(PosixFilePermissions.fromString("r-xr-xr-x"));
        assertThat(Files.getPosixFilePermissions(target.resolve("bin/run"))).isEqualTo(PosixFilePermissions.fromString("r-xr-xr-x"));
        assertThat(Files.getPosixFilePermissions(target.resolve("data"))).isEqualTo(PosixFilePermissions.fromString("r--r--r--"));
        assertThat(Files.readString(target.resolve("data"))).isEqualTo("hello\n");
        assertThat(Files.readSymbolicLink(target.resolve("link"))).isEqualTo(Path.of("bin/run"));
        assertThat(PosixFiles.readSymlink(target.resolve("slashes"), Nar.MAX_TARGET)).isEqualTo("a//b/".getBytes(StandardCharsets.UTF_8));
        for (String p : List.of("", "bin", "bin/run", "data", "empty-dir", "link")) {
            assertThat(Files.getLastModifiedTime(target.resolve(p), java.nio.file.LinkOption.NOFOLLOW_LINKS).toMillis())
                    .as(p).isEqualTo(1000);
        }
        assertThat(NarDigest.of(target)).isEqualTo(new NarDigest(
                org.imageless.nix.hash.Hash.sha256(nar), nar.length));
    }

    @Test
    void unpacksARootFileAndARootSymlink() throws IOException {
        NarUnpacker.unpack(new ByteArrayInputStream(TestNar.magic().file("just me").bytes()), target);
        assertThat(Files.readString(target)).isEqualTo("just me");
        Path link = dir.resolve("link");
        NarUnpacker.unpack(new ByteArrayInputStream(TestNar.magic().symlink("/dangling/target").bytes()), link);
        assertThat(Files.readSymbolicLink(link)).isEqualTo(Path.of("/dangling/target"));
    }

    @Test
    void refusesAnExistingTargetAndLeavesItAlone() throws IOException {
        Files.writeString(target, "precious");
        assertThatThrownBy(() -> NarUnpacker.unpack(new ByteArrayInputStream(validNar()), target))
                .isInstanceOf(NixException.class).hasMessageContaining("already exists");
        assertThat(Files.readString(target)).isEqualTo("precious");
        Path missingParent = dir.resolve("no/such/parent");
        assertThatThrownBy(() -> NarUnpacker.unpack(new ByteArrayInputStream(validNar()), missingParent))
                .isInstanceOf(NixException.class).hasMessageContaining("parent directory does not exist");
    }

    /** A directory with a subdirectory, an executable, a file, an empty directory and symlinks. */
    static byte[] validNar() {
        return TestNar.magic().dir()
                .entry("bin").dir().entry("run").s("(", "type", "regular", "executable", "", "contents", "#!/bin/sh\n", ")")
                .end().end().end()
                .entry("data").file("hello\n").end()
                .entry("empty-dir").dir().end().end()
                .entry("link").symlink("bin/run").end()
                .entry("slashes").symlink("a//b/").end()
                .end().bytes();
    }

    private void assertNothingLeft() throws IOException {
        assertThat(Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s).containsExactly(outside);
        }
        try (Stream<Path> s = Files.list(outside)) {
            assertThat(s).isEmpty();
        }
    }

    /** Reads everything, keeps nothing. */
    static final class CollectingVisitor implements NarReader.Visitor {
        final List<String> events = new ArrayList<>();

        @Override
        public void directory(String path) {
            events.add("dir " + path);
        }

        @Override
        public void endDirectory(String path) {
            events.add("end " + path);
        }

        @Override
        public void file(String path, boolean executable, long size, InputStream contents) {
            events.add((executable ? "exe " : "file ") + path + " " + size);
        }

        @Override
        public void symlink(String path, String target) {
            events.add("link " + path + " -> " + target);
        }
    }
}
