package org.imageless.node;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.imageless.nix.nar.NarDigest;
import org.imageless.nix.nar.NarUnpacker;
import org.imageless.nix.nar.NarWriter;
import org.imageless.nix.nodestore.NodeStore;
import org.imageless.nix.store.StorePath;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The workload {@code make build} runs once with {@code -XX:AOTCacheOutput} so that the JDK's AOT
 * cache holds the classes (and profiles) of the store commands: every {@code flox-node} call then
 * starts faster. Hidden: not for operators.
 */
@Command(name = "aot-training", hidden = true, description = "Exercise the store code for the JDK's AOT cache.")
final class AotTraining implements Callable<Integer> {

    @Override
    public Integer call() throws IOException {
        Path work = Files.createTempDirectory("flox-node-aot-");
        try {
            Path tree = Files.createDirectories(work.resolve("tree/bin"));
            for (int i = 0; i < 64; i++) {
                Files.write(tree.resolve("file-" + i), new byte[i * 4096]);
            }
            Files.createSymbolicLink(tree.resolve("link"), Path.of("file-1"));
            for (int round = 0; round < 20; round++) {
                ByteArrayOutputStream nar = new ByteArrayOutputStream();
                NarWriter.dump(work.resolve("tree"), nar);
                Path restored = work.resolve("restored-" + round);
                NarUnpacker.unpack(new ByteArrayInputStream(nar.toByteArray()), restored);
                NarDigest.of(restored);
                NarUnpacker.deleteTree(restored);
            }
            NodeStore store = NodeStore.open(work.resolve("store"));
            StorePath p = store.add(work.resolve("tree"), "tree", true);
            store.dump(p, OutputStreamSink.INSTANCE);
            store.verify();
            new CommandLine(new FloxNode()).getUsageMessage();
            return 0;
        } finally {
            NarUnpacker.deleteTree(work);
        }
    }

    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {}

        @Override
        public void write(byte[] b, int off, int len) {}
    }
}
