package org.imageless.nix.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A small closure built by real nix, signed by a nix-generated key, and copied by {@code nix copy}
 * into {@code file://} binary caches, one per compression: the narinfo and NAR files exactly as Nix
 * writes them. {@code root} references {@code middle} (a directory with a symlink) and {@code leaf}.
 */
public final class NixCacheFixture {

    /** The compressions Nix 2.8 writes that we read (it also writes br, lzip, lz4, …). */
    public static final List<String> COMPRESSIONS = List.of("none", "xz", "zstd", "bzip2", "gzip");

    public final RealNix nix;
    public final RealNix.KeyPair key;
    public final String leaf;
    public final String middle;
    public final String root;
    private final Path dir;

    public NixCacheFixture(Path dir) {
        this.dir = dir;
        this.nix = RealNix.in(dir);
        try {
            Path src = Files.createDirectories(dir.resolve("input/middle"));
            Files.writeString(src.resolve("hello.txt"), "hello from a directory\n");
            Files.createDirectories(src.resolve("sub"));
            Files.write(src.resolve("sub/data.bin"), new byte[100_000]);
            Files.createSymbolicLink(src.resolve("link"), Path.of("hello.txt"));
            Path leafFile = Files.writeString(dir.resolve("input/leaf"), "a leaf file\n");
            this.leaf = nix.add(leafFile);
            String mid = nix.add(src);
            this.middle = nix.addTextWithReferences("middle-ref", "middle refers to", mid, leaf);
            this.root = nix.addTextWithReferences("root", "the root refers to", middle);
            this.key = nix.generateKey("nix-test-key-1", Files.createDirectories(dir.resolve("keys")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        nix.sign(key.secretFile(), root);
    }

    /** All store paths of the closure of {@code root}. */
    public List<String> closure() {
        return List.of(nix.runText("nix-store", "--store", nix.storeUri(), "-qR", root).split("\n"));
    }

    /** A {@code file://} cache written by {@code nix copy} with this compression; created on first use. */
    public Path cache(String compression) {
        Path cache = dir.resolve("cache-" + compression);
        if (!Files.exists(cache)) {
            nix.copyTo("file://" + cache + "?compression=" + compression, root);
        }
        return cache;
    }
}
