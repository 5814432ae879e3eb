package org.imageless.runtime;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.imageless.nix.nar.NarUnpacker;
import org.imageless.nix.nodestore.NodeStore;
import org.imageless.nix.store.StorePath;
import org.imageless.runtime.config.NodeConfig;

/**
 * The AOT cache's training run ({@code make build}): a real create and exec, offline — a hub
 * answering on loopback from this process, the package already in a throw-away node store — so
 * that the classes and the code paths of a container start with a cached closure are in the cache.
 */
final class AotTraining {

    private AotTraining() {
    }

    static void run() throws IOException {
        Path dir = Files.createTempDirectory("flox-runtime-aot-");
        HttpServer hub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        try {
            String system = NodeConfig.currentSystem();
            Path config = Files.writeString(dir.resolve("node.toml"), "hub_url = \"http://127.0.0.1:" + "PORT\"\n"
                    + "trusted_keys = [\"k:" + Base64.getEncoder().encodeToString(new byte[32]) + "\"]\n"
                    + "state_dir = \"" + dir + "\"\nstore_dir = \"" + dir.resolve("store") + "\"\n");
            NodeStore store = NodeStore.open(dir.resolve("store"), dir.resolve("tmp"));
            Path pkg = Files.createDirectories(dir.resolve("src/hello/bin"));
            Files.writeString(pkg.resolve("hello"), "#!/bin/sh\n");
            pkg.resolve("hello").toFile().setExecutable(true);
            Files.writeString(pkg.resolve("bash"), "#!/bin/sh\n");
            pkg.resolve("bash").toFile().setExecutable(true);
            StorePath hello = store.add(pkg.getParent(), "hello", false);
            String lock = "{\"lockfile-version\": 1, \"manifest\": {\"version\": 1, \"install\": {\"hello\": {\"store-path\": \""
                    + hello + "\"}}, \"vars\": {\"A\": \"b\"}, \"hook\": {\"on-activate\": \"true\"}}, \"packages\": [{\"install_id\": \"hello\", "
                    + "\"store_path\": \"" + hello + "\", \"system\": \"" + system + "\", \"priority\": 5}]}";
            byte[] generation = ("{\"owner\":\"o\",\"name\":\"n\",\"generation\":1,\"live\":true,\"manifest\":\"\",\"lock\":" + lock
                    + ",\"created\":{\"author\":\"a\",\"hostname\":\"h\",\"command\":null,\"timestamp\":0}}").getBytes(StandardCharsets.UTF_8);
            hub.createContext("/", x -> {
                try (x) {
                    x.getRequestBody().readAllBytes();
                    boolean event = x.getRequestMethod().equals("PUT");
                    byte[] body = event ? "{\"accepted\":1}".getBytes(StandardCharsets.UTF_8) : generation;
                    x.sendResponseHeaders(event ? 202 : 200, body.length);
                    x.getResponseBody().write(body);
                }
            });
            hub.start();
            Files.writeString(config, Files.readString(config).replace("PORT", String.valueOf(hub.getAddress().getPort())));
            for (int i = 0; i < 3; i++) {
                Path bundle = Files.createDirectories(dir.resolve("bundle" + i + "/rootfs")).getParent();
                Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"hello\"],"
                        + "\"env\":[\"PATH=/usr/bin:/bin\"],\"cwd\":\"/\"},\"root\":{\"path\":\"rootfs\"},\"mounts\":[],"
                        + "\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\",\"io.kubernetes.cri.container-name\":\"c\","
                        + "\"flox.dev/environment\":\"o/n\"" + (i == 1 ? ",\"flox.dev/nix-mutable\":\"true\"" : "") + "}}");
                String log = dir.resolve("log.json").toString();
                ContainerRuntime.run(new String[] {"create", log, bundle.toString(), "c" + i},
                        java.util.Map.of("FLOX_NODE_CONFIG", config.toString()));
                Path process = Files.writeString(dir.resolve("process.json"),
                        "{\"args\":[\"hello\"],\"env\":[\"PATH=/usr/bin:/bin\"],\"cwd\":\"/\"}");
                ContainerRuntime.run(new String[] {"exec", log, dir.resolve("containers/c" + i + "/activation.json").toString(),
                        process.toString()}, java.util.Map.of());
            }
            if (Files.exists(dir.resolve("log.json"))) {
                throw new IllegalStateException("the training create failed: " + Files.readString(dir.resolve("log.json")));
            }
        } finally {
            hub.stop(0);
            NarUnpacker.deleteTree(dir);
        }
    }
}
