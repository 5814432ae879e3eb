package org.imageless.node.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.imageless.node.pod.CriOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flox-node image}: put images on a node without a registry. */
@Command(name = "image", mixinStandardHelpOptions = true,
        description = "Put container images on this node without a registry (containerd namespace k8s.io, where the CRI looks).",
        subcommands = {ImageCommand.Import.class, ImageCommand.Build.class, ImageCommand.WriteEmpty.class})
public final class ImageCommand {

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Import an image archive (OCI image layout or docker save) into containerd's k8s.io namespace; without ARCHIVE, Flox's placeholder image flox/empty:1.0.0.")
    static final class Import implements Callable<Integer> {

        @Mixin
        CriOptions cri;

        @Parameters(index = "0", arity = "0..1", paramLabel = "ARCHIVE")
        Path archive;

        @Override
        public Integer call() throws IOException {
            Path file = archive;
            Path temp = null;
            if (file == null) {
                temp = Files.createTempFile("flox-empty-", ".oci.tar");
                OciImageArchive.empty().writeTo(temp);
                file = temp;
            } else if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("image archive " + file + " does not exist");
            }
            try {
                String out = ctr(cri.socket(), "images", "import", file.toAbsolutePath().toString());
                System.out.print(out);
                return 0;
            } finally {
                if (temp != null) {
                    Files.deleteIfExists(temp);
                }
            }
        }
    }

    @Command(name = "build", mixinStandardHelpOptions = true,
            description = "Build a single-layer image from a directory (its root file system) and import it into containerd's k8s.io namespace, or write it as an OCI image-layout archive with --output. For images a node needs without a registry, such as the pod sandbox (pause) image.")
    static final class Build implements Callable<Integer> {

        @Mixin
        CriOptions cri;

        @Option(names = {"-t", "--tag"}, required = true, paramLabel = "REF",
                description = "The image name, e.g. registry.k8s.io/pause:3.9 (short names normalise as the CRI does).")
        String tag;

        @Option(names = "--entrypoint", paramLabel = "ARG", split = ",",
                description = "The image's entrypoint, comma-separated (e.g. /pause).")
        List<String> entrypoint = List.of();

        @Option(names = "--cmd", paramLabel = "ARG", split = ",",
                description = "The image's default command, comma-separated.")
        List<String> cmd = List.of();

        @Option(names = "--env", paramLabel = "NAME=VALUE", description = "An environment variable of the image (repeatable).")
        List<String> env = List.of();

        @Option(names = {"-o", "--output"}, paramLabel = "FILE",
                description = "Write the archive to FILE instead of importing it into containerd.")
        Path output;

        @Parameters(index = "0", paramLabel = "DIR", description = "The directory that becomes the image's root file system.")
        Path root;

        @Override
        public Integer call() throws IOException {
            OciImageArchive image = OciImageArchive.named(tag).tree(root).entrypoint(entrypoint).cmd(cmd);
            for (String e : env) {
                int eq = e.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--env '" + e + "' must be NAME=VALUE");
                }
                image.env(e.substring(0, eq), e.substring(eq + 1));
            }
            if (output != null) {
                String digest = image.writeTo(output);
                System.out.println(image.reference().name() + " " + digest + " " + output);
                return 0;
            }
            Path temp = Files.createTempFile("flox-image-", ".oci.tar");
            try {
                image.writeTo(temp);
                System.out.print(ctr(cri.socket(), "images", "import", temp.toString()));
                return 0;
            } finally {
                Files.deleteIfExists(temp);
            }
        }
    }

    @Command(name = "write-empty", mixinStandardHelpOptions = true,
            description = "Write flox/empty:1.0.0 as an OCI image-layout archive (to copy to nodes, or to push to a registry with other tools).")
    static final class WriteEmpty implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "OUTPUT")
        Path output;

        @Override
        public Integer call() {
            System.out.println(OciImageArchive.empty().writeTo(output));
            return 0;
        }
    }

    static String ctr(Path socket, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("ctr", "-a", socket.toString(), "-n", "k8s.io"));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException("ctr " + String.join(" ", args) + " failed: " + out.strip());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run ctr (it comes with containerd: apt-get install containerd)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
