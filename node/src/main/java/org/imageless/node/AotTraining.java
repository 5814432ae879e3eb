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
@Command(name = "aot-training", hidden = true, description = "Exercise the store and pod code for the JDK's AOT cache.")
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
            trainPodCommands(work);
            new CommandLine(new FloxNode()).getUsageMessage();
            return 0;
        } finally {
            NarUnpacker.deleteTree(work);
        }
    }

    /** pod run's parsing and CRI request building (no containerd needed), and the flox/empty archive. */
    private static void trainPodCommands(Path work) throws IOException {
        var pod = org.imageless.node.pod.PodManifest.parse("""
                apiVersion: v1
                kind: Pod
                metadata: {name: aot, annotations: {flox.dev/environment: "owner/name"}}
                spec:
                  runtimeClassName: flox
                  volumes: [{name: scratch, emptyDir: {}}]
                  containers:
                    - name: main
                      image: flox/empty:1.0.0
                      command: ["echo", "$(GREETING)"]
                      env: [{name: GREETING, value: hello}]
                      volumeMounts: [{name: scratch, mountPath: /scratch}]
                """, "aot.yaml");
        var configs = new org.imageless.node.pod.PodConfigs(pod, java.util.Map.of(), work.resolve("logs"), work.resolve("volumes"));
        configs.sandbox().toByteArray();
        configs.container(pod.getSpec().getContainers().getFirst(), "10.0.0.1").toByteArray();
        org.imageless.node.image.OciImageArchive.empty().writeTo(OutputStreamSink.INSTANCE);
    }

    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {}

        @Override
        public void write(byte[] b, int off, int len) {}
    }
}
