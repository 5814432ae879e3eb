package org.imageless.nix.nar;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.store.StorePaths;
import org.imageless.nix.testing.RealNix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our NAR codec against the real {@code nix}: same bytes, same hash, same store path, both ways round. */
class NarOracleTest {

    private static final long BIG = 24L * 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void dumpsRandomTreesToTheSameBytesHashAndStorePathAsNix() throws Exception {
        RealNix nix = RealNix.in(dir);
        for (long seed = 1; seed <= 12; seed++) {
            Path tree = RandomTree.write(dir.resolve("tree-" + seed), seed, seed == 1 ? BIG : 0);
            assertSameAsNix(nix, tree);
        }
    }

    @Test
    void dumpsASingleFileAnExecutableAndASymlinkAsNix() throws Exception {
        RealNix nix = RealNix.in(dir);
        Path file = Files.writeString(dir.resolve("plain.txt"), "hello\n");
        Path exe = Files.writeString(dir.resolve("run.sh"), "#!/bin/sh\necho hi\n");
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr--r--"));
        Path groupExe = Files.writeString(dir.resolve("group-only"), "x");
        Files.setPosixFilePermissions(groupExe, PosixFilePermissions.fromString("rw-r-xr-x"));
        Path empty = Files.createFile(dir.resolve("empty"));
        Path emptyDir = Files.createDirectory(dir.resolve("empty-dir"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of("dir//with/trailing/"));
        Path mixed = Files.createDirectory(dir.resolve("mixed-names"));
        for (String name : RandomTree.NAMES) {
            Files.writeString(mixed.resolve(name), name);
        }
        for (Path p : List.of(file, exe, groupExe, empty, emptyDir, link, mixed)) {
            assertSameAsNix(nix, p);
        }
    }

    @Test
    void unpacksNixsNarsToTreesThatNixDumpsToTheSameBytes() throws Exception {
        RealNix nix = RealNix.in(dir);
        for (long seed = 20; seed <= 24; seed++) {
            Path tree = RandomTree.write(dir.resolve("tree-" + seed), seed, seed == 20 ? 3_000_000 : 0);
            Path nar = dir.resolve("nix-" + seed + ".nar");
            nix.dumpTo(tree, nar);
            Path unpacked = dir.resolve("unpacked-" + seed);
            try (InputStream in = Files.newInputStream(nar)) {
                NarUnpacker.unpack(in, unpacked);
            }
            Path again = dir.resolve("again-" + seed + ".nar");
            nix.dumpTo(unpacked, again);
            assertThat(digestOfFile(again)).isEqualTo(digestOfFile(nar));
            assertThat(Files.getPosixFilePermissions(unpacked)).isEqualTo(NarUnpacker.DIRECTORY);
            assertThat(Files.getLastModifiedTime(unpacked).toMillis()).isEqualTo(1000);
        }
    }

    @Test
    void nixRestoresOurNarsToTreesThatDumpToTheSameBytes() throws Exception {
        RealNix nix = RealNix.in(dir);
        for (long seed = 30; seed <= 34; seed++) {
            Path tree = RandomTree.write(dir.resolve("tree-" + seed), seed, 0);
            Path nar = dir.resolve("ours-" + seed + ".nar");
            try (OutputStream out = Files.newOutputStream(nar)) {
                NarWriter.dump(tree, out);
            }
            Path restored = dir.resolve("restored-" + seed);
            nix.restore(nar, restored);
            assertThat(NarDigest.of(restored)).isEqualTo(digestOfFile(nar));
            assertThat(NarDigest.of(restored)).isEqualTo(NarDigest.of(tree));
        }
    }

    @Test
    void hashesALargeTreeAboutAsFastAsNixDumpPipedToSha256sum() throws Exception {
        RealNix nix = RealNix.in(dir);
        Path tree = RandomTree.write(dir.resolve("timed"), 7, 64L * 1024 * 1024);
        long oursBest = Long.MAX_VALUE;
        long nixBest = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            long t0 = System.nanoTime();
            NarDigest.of(tree);
            oursBest = Math.min(oursBest, System.nanoTime() - t0);
            t0 = System.nanoTime();
            nix.shell("nix-store --dump '" + tree + "' | sha256sum");
            nixBest = Math.min(nixBest, System.nanoTime() - t0);
        }
        System.out.printf("NAR SHA-256 of a %d MB tree: ours %d ms, nix-store --dump | sha256sum %d ms%n",
                NarDigest.of(tree).narSize() >> 20, oursBest / 1_000_000, nixBest / 1_000_000);
        // loose bound so a busy machine does not fail the build; bench measures the real ratio
        assertThat(oursBest).isLessThan(2 * nixBest + 100_000_000L);
    }

    @AfterEach
    void removeTrees() throws IOException {
        // symlinks pointing outside the temp dir make JUnit's cleanup warn; remove them first
        try (var children = Files.list(dir)) {
            for (Path p : children.toList()) {
                NarUnpacker.deleteTree(p);
            }
        }
    }

    private void assertSameAsNix(RealNix nix, Path tree) throws IOException {
        Path nixNar = dir.resolve(tree.getFileName() + ".nix.nar");
        nix.dumpTo(tree, nixNar);
        NarDigest ours = NarDigest.of(tree);
        assertThat(ours).as("NAR of %s", tree).isEqualTo(digestOfFile(nixNar));
        assertThat(ours.narHash()).isEqualTo(Hash.parse(nix.hashPath(tree)));
        String name = tree.getFileName().toString();
        if (name.matches("[A-Za-z0-9+._?=-]+") && !name.startsWith(".")) {
            assertThat(StorePaths.source(name, ours.narHash(), Set.of(), false)).hasToString(nix.add(tree));
        }
        Files.delete(nixNar);
    }

    /** SHA-256 and length of a file, streamed. */
    static NarDigest digestOfFile(Path file) throws IOException {
        MessageDigest md = org.imageless.nix.hash.HashAlgorithm.SHA256.newDigest();
        byte[] buf = new byte[1 << 16];
        long size = 0;
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
                size += n;
            }
        }
        return new NarDigest(Hash.parseDigest(org.imageless.nix.hash.HashAlgorithm.SHA256,
                HexFormat.of().formatHex(md.digest())), size);
    }
}
