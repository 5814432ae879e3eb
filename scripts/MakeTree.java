import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes a deterministic test tree of about SIZE_MB: a few large files, thousands of small files in
 * nested directories, executables and symlinks. Usage: java MakeTree.java DIR SIZE_MB
 */
public class MakeTree {
    public static void main(String[] args) throws IOException {
        Path root = Path.of(args[0]);
        long target = Long.parseLong(args[1]) << 20;
        Random random = new Random(2026);
        Files.createDirectories(root);
        byte[] buf = new byte[1 << 20];
        long written = 0;
        // 60% in large files
        for (int i = 0; written < target * 6 / 10; i++) {
            long size = Math.min(64L << 20, target * 6 / 10 - written);
            try (OutputStream out = Files.newOutputStream(root.resolve("blob-" + i + ".bin"))) {
                for (long left = size; left > 0; left -= buf.length) {
                    random.nextBytes(buf);
                    out.write(buf, 0, (int) Math.min(buf.length, left));
                }
            }
            written += size;
        }
        // the rest in small files, 100 per directory, some executable, some symlinks
        for (int i = 0; written < target; i++) {
            Path d = root.resolve("lib/d" + (i / 100 % 50) + "/e" + (i / 5000));
            Files.createDirectories(d);
            int size = 512 + random.nextInt(24 << 10);
            byte[] data = new byte[size];
            random.nextBytes(data);
            Path f = Files.write(d.resolve("file-" + i), data);
            if (i % 17 == 0) {
                f.toFile().setExecutable(true);
            }
            if (i % 29 == 0) {
                Files.createSymbolicLink(d.resolve("link-" + i), Path.of("file-" + i));
            }
            written += size;
        }
    }
}
