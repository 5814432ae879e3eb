package org.imageless.node.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.imageless.node.image.OciImageArchive;

/**
 * The images tests run without a registry: a pause (sandbox) image with a static pause binary
 * compiled here with gcc, and a busybox image from Debian's busybox-static with its applet links.
 */
public final class TestImages {

    /** The sandbox image the test containerd is configured with. */
    public static final String PAUSE = "docker.io/imageless/pause:test";
    /** busybox with /bin/sh and every applet linked; default command {@code sh}. */
    public static final String BUSYBOX = "docker.io/imageless/busybox:test";

    private static final Path BUSYBOX_BINARY = Path.of("/bin/busybox");

    /** The sandbox's pause: exits on SIGINT/SIGTERM, reaps children (also compiled by scripts/demo.sh). */
    private static final String PAUSE_SOURCE = pauseSource();

    private TestImages() {}

    private static String pauseSource() {
        try (var in = TestImages.class.getResourceAsStream("pause.c")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the pause image archive into {@code dir} (compiling the pause binary there). */
    public static Path pause(Path dir) {
        try {
            Path src = dir.resolve("pause.c");
            Path bin = dir.resolve("pause");
            Files.writeString(src, PAUSE_SOURCE, StandardCharsets.UTF_8);
            run(List.of("gcc", "-static", "-Os", "-o", bin.toString(), src.toString()), dir);
            Path archive = dir.resolve("pause.oci.tar");
            OciImageArchive.named(PAUSE).file("/pause", 0755, bin).entrypoint(List.of("/pause")).writeTo(archive);
            return archive;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the busybox image archive into {@code dir}. */
    public static Path busybox(Path dir) {
        if (!Files.isExecutable(BUSYBOX_BINARY)) {
            throw new IllegalStateException("busybox-static is missing: apt-get install busybox-static (or run scripts/install-deps.sh)");
        }
        OciImageArchive image = OciImageArchive.named(BUSYBOX)
                .directory("/bin").directory("/sbin").directory("/usr").directory("/usr/bin").directory("/usr/sbin")
                .directory("/tmp").directory("/etc").directory("/root")
                .file("/bin/busybox", 0755, BUSYBOX_BINARY)
                .file("/etc/passwd", 0644, "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
                        .getBytes(StandardCharsets.UTF_8))
                .file("/etc/group", 0644, "root:x:0:\nnogroup:x:65534:\n".getBytes(StandardCharsets.UTF_8))
                .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
                .cmd(List.of("sh"));
        for (String applet : output(List.of(BUSYBOX_BINARY.toString(), "--list-full")).split("\n")) {
            String path = "/" + applet.strip();
            if (!path.equals("/") && !path.equals("/bin/busybox")) {
                image.symlink(path, "/bin/busybox");
            }
        }
        Path archive = dir.resolve("busybox.oci.tar");
        image.writeTo(archive);
        return archive;
    }

    /** Writes flox/empty:1.0.0 into {@code dir}. */
    public static Path empty(Path dir) {
        Path archive = dir.resolve("empty.oci.tar");
        OciImageArchive.empty().writeTo(archive);
        return archive;
    }

    static void run(List<String> command, Path dir) {
        String out = output(command, dir);
        if (out == null) {
            throw new IllegalStateException("failed: " + command);
        }
    }

    static String output(List<String> command) {
        return output(command, Path.of("."));
    }

    private static String output(List<String> command, Path dir) {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out.strip());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(String.join(" ", command) + " could not run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
