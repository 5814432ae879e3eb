package org.imageless.runtime;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.imageless.environment.EnvironmentRef;
import org.imageless.environment.lock.Lockfile;
import org.imageless.environment.view.EnvironmentView;
import org.imageless.nix.NixException;
import org.imageless.nix.nar.NarUnpacker;
import org.imageless.nix.nodestore.NodeStore;
import org.imageless.nix.store.StorePath;
import org.imageless.runtime.config.NodeConfig;
import org.imageless.runtime.hub.HubClient;
import org.imageless.runtime.spec.Spec;

/**
 * The AOT cache's training run ({@code make build}): what a create does, offline, on a throw-away
 * store — config, annotations, lock, view, edits, JSON — so that the classes a real create needs
 * are in the cache.
 */
final class AotTraining {

    private AotTraining() {
    }

    static void run() throws IOException {
        Path dir = Files.createTempDirectory("flox-runtime-aot-");
        try {
            NodeConfig config = NodeConfig.parse("hub_url = \"http://127.0.0.1:9\"\ntrusted_keys = [\"k:"
                    + java.util.Base64.getEncoder().encodeToString(new byte[32]) + "\"]\nstate_dir = \"" + dir
                    + "\"\nstore_dir = \"" + dir.resolve("store") + "\"\n", "node.toml");
            NodeStore store = NodeStore.open(config.storeDir(), config.tmpDir());
            Path pkg = Files.createDirectories(dir.resolve("src/hello/bin"));
            Files.writeString(pkg.resolve("hello"), "#!/bin/sh\n");
            pkg.resolve("hello").toFile().setExecutable(true);
            StorePath hello = store.add(pkg.getParent(), "hello", false);
            String lockJson = "{\"lockfile-version\": 1, \"manifest\": {\"version\": 1, \"install\": {\"hello\": {\"store-path\": \""
                    + hello + "\"}}, \"vars\": {\"A\": \"b\"}, \"hook\": {\"on-activate\": \"true\"}}, \"packages\": [{\"install_id\": \"hello\", "
                    + "\"store_path\": \"" + hello + "\", \"system\": \"" + config.system() + "\", \"priority\": 5}]}";
            Lockfile lock = Lockfile.parse(lockJson, "manifest.lock");
            StorePath view = EnvironmentView.build(store, lock, config.system());
            Path bundle = Files.createDirectories(dir.resolve("bundle/rootfs")).getParent();
            Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"hello\"],"
                    + "\"env\":[\"PATH=/usr/bin:/bin\"],\"cwd\":\"/\"},\"root\":{\"path\":\"rootfs\"},\"mounts\":[],"
                    + "\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\",\"io.kubernetes.cri.container-name\":\"c\","
                    + "\"flox.dev/environment\":\"o/n:1\",\"flox.dev/activate-mode\":\"dev\"}}");
            Spec spec = Spec.load(bundle);
            org.imageless.runtime.annotation.ContainerRole.forCreate(spec.annotations());
            Create.prepareMountPoints(dir.resolve("points"), store, store.closure(List.of(view)));
            Activation a = new Activation("o/n:1", new java.util.LinkedHashMap<>(java.util.Map.of("PATH", view + "/bin")),
                    bundle.resolve("rootfs").toString(), view + "/bin/bash", "true", java.util.Map.of("hello", List.of("hello")));
            a.write(dir.resolve("containers/c"));
            Activation.read(dir.resolve("containers/c")).orElseThrow();
            for (var e : Create.processEdits(a, store.dir())) {
                e.onSpec().apply(spec);
            }
            spec.write(bundle.resolve("config.json"));
            new RuntimeLog(dir.resolve("log.json")).error("training");
            try {
                new HubClient(URI.create("http://127.0.0.1:9"), Optional.of("t"), Duration.ofMillis(200))
                        .generation(EnvironmentRef.parse("o/n"));
            } catch (NixException expected) {
                // nothing listens there; the client's classes are loaded all the same
            }
        } finally {
            NarUnpacker.deleteTree(dir);
        }
    }
}
