package org.imageless.nix.nar;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Writes a random file tree from a seed: empty and small and large files, executables, empty and
 * nested directories, relative, absolute and dangling symlinks (some with targets Java's Path would
 * normalise), and names whose UTF-8 byte order differs from Java's String order.
 */
final class RandomTree {

    /** Names chosen so that byte order, UTF-16 order and case order all disagree somewhere. */
    static final List<String> NAMES = List.of("a", "B", "b", "Z", "z", "a.txt", "a-b", "_", "0", "9lives",
            "é", "e\u0301", "日本", "日本語.txt", "Ａ", "😀", "x😀y", "ÿ", "~", "name with space", ".hidden", "..dots");
    static final List<String> TARGETS = List.of("a", "../a", "./b/", "sub//file", "/nix/store/ci5axqfmv0jq95m0sszhsdxyg7an8gjv-src",
            "/etc/hostname", "/does/not/exist", "dangling-日本", "..", ".", "/");

    private final Random random;
    private final long bigFileBytes;
    private final byte[] chunk = new byte[64 * 1024];

    private RandomTree(long seed, long bigFileBytes) {
        this.random = new Random(seed);
        this.bigFileBytes = bigFileBytes;
    }

    /** Writes a random directory tree at {@code root}; one file of {@code bigFileBytes} when that is positive. */
    static Path write(Path root, long seed, long bigFileBytes) throws IOException {
        RandomTree t = new RandomTree(seed, bigFileBytes);
        Files.createDirectory(root);
        t.fill(root, 0);
        if (bigFileBytes > 0) {
            t.file(root.resolve("big 日本.bin"), bigFileBytes, false);
        }
        return root;
    }

    private void fill(Path dir, int depth) throws IOException {
        int n = random.nextInt(depth == 0 ? 12 : 8);
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
            names.add(NAMES.get(random.nextInt(NAMES.size())) + (random.nextInt(4) == 0 ? "" + random.nextInt(100) : ""));
        }
        for (String name : new ArrayList<>(names)) {
            Path p = dir.resolve(name);
            int kind = random.nextInt(10);
            if (kind < 5) {
                long size = switch (random.nextInt(6)) {
                    case 0 -> 0;
                    case 1 -> random.nextInt(8) + 1;
                    case 2 -> random.nextInt(100);
                    case 3 -> random.nextInt(70_000);
                    default -> random.nextInt(1000);
                };
                file(p, size, random.nextInt(3) == 0);
            } else if (kind < 7) {
                Files.createSymbolicLink(p, Path.of(TARGETS.get(random.nextInt(TARGETS.size()))));
            } else if (depth < 4) {
                Files.createDirectory(p);
                fill(p, depth + 1);
            } else {
                Files.createDirectory(p);
            }
        }
    }

    private void file(Path p, long size, boolean executable) throws IOException {
        try (OutputStream out = Files.newOutputStream(p)) {
            long left = size;
            while (left > 0) {
                random.nextBytes(chunk);
                int n = (int) Math.min(left, chunk.length);
                out.write(chunk, 0, n);
                left -= n;
            }
        }
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
    }
}
