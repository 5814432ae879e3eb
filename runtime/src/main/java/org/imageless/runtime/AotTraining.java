package org.imageless.runtime;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.imageless.environment.lock.Lockfile;
import org.imageless.environment.view.EnvironmentView;
import org.imageless.nix.nar.NarUnpacker;
import org.imageless.nix.nodestore.NodeStore;
import org.imageless.nix.store.StorePath;
import org.imageless.runtime.config.NodeConfig;

/**
 * The AOT cache's training run ({@code make build}): container starts with the closure already on
 * the node — the case that must be fast — against a hub answering on loopback. The JDK's AOT cache
 * loads every class it holds at start-up, so only what such a start uses should be in it: the node
 * store is filled (package added, view built) by a child JVM whose classes are not recorded, and the
 * hub is a few lines on a {@link ServerSocket} rather than an HTTP server library.
 */
final class AotTraining {

    static final String SETUP = "aot-training-setup";

    private AotTraining() {
    }

    static void run() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("flox-runtime-aot-");
        try (ServerSocket hub = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Process setup = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    ContainerRuntime.class.getName(), SETUP, dir.toString(), String.valueOf(hub.getLocalPort()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (setup.waitFor() != 0) {
                throw new IllegalStateException("the training set-up failed (exit " + setup.exitValue() + ")");
            }
            starts(dir, hub, 4, Map.of(NodeConfig.ENV, dir.resolve("node.toml").toString()));
        } finally {
            NarUnpacker.deleteTree(dir);
        }
    }

    /**
     * The resident daemon's warm-up, before it serves: {@code rounds} container starts (create and exec) of
     * a training environment, in this JVM, as the daemon runs them, so that the JIT has compiled the path a
     * start takes (a node's daemon sees too few starts to get there on its own: a cold create takes ~4x as
     * long). Everything it writes is under a temporary directory, removed at the end.
     *
     * @return how long it took
     */
    static java.time.Duration warmUp(int rounds) throws IOException {
        long t0 = System.nanoTime();
        Path dir = Files.createTempDirectory("flox-runtime-warm-up-");
        try (ServerSocket hub = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            setup(dir, hub.getLocalPort());
            starts(dir, hub, rounds, Map.of(NodeConfig.ENV, dir.resolve("node.toml").toString(), ContainerRuntime.RESIDENT, "1"));
            // the training's activation reports, to the stub while it still answers
            org.imageless.runtime.hub.DeferredReports.flush(java.time.Duration.ofSeconds(5));
        } finally {
            NarUnpacker.deleteTree(dir);
        }
        return java.time.Duration.ofNanos(System.nanoTime() - t0);
    }

    /** {@code rounds} creates and execs in {@code dir} (made by {@link #setup}), with {@code hub} answering. */
    private static void starts(Path dir, ServerSocket hub, int rounds, Map<String, String> env) throws IOException {
        byte[] generation = Files.readAllBytes(dir.resolve("generation.json"));
        Thread server = Thread.ofPlatform().daemon().start(() -> serve(hub, generation));
        String log = dir.resolve("log.json").toString();
        Path process = dir.resolve("process.json");
        for (int i = 0; i < rounds; i++) {
            // the pod's sandbox (in resident mode it prepares the pod's environment), then its container; every
            // fourth container has no sandbox before it (as a restart) and resolves itself
            Path sandbox = dir.resolve("sandbox" + i);
            if (i % 4 != 2) {
                Files.createDirectories(sandbox.resolve("rootfs"));
                Files.writeString(sandbox.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"/pause\"],"
                        + "\"env\":[\"PATH=/usr/bin:/bin\"],\"cwd\":\"/\"},\"root\":{\"path\":\"rootfs\"},\"mounts\":[],"
                        + "\"annotations\":{\"io.kubernetes.cri.container-type\":\"sandbox\",\"flox.dev/environment\":\"o/n\"}}");
                ContainerRuntime.run(new String[] {"create", log, sandbox.toString(), "s" + i}, env);
            }
            Path bundle = Files.createDirectories(dir.resolve("bundle" + i + "/rootfs")).getParent();
            Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"hello\"],"
                    + "\"env\":[\"PATH=/usr/bin:/bin\"],\"cwd\":\"/\"},\"root\":{\"path\":\"rootfs\"},\"mounts\":[],"
                    + "\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\",\"io.kubernetes.cri.container-name\":\"c\","
                    + "\"io.kubernetes.cri.sandbox-id\":\"s" + i + "\",\"flox.dev/environment\":\"o/n\""
                    + (i % 4 == 1 ? ",\"flox.dev/nix-mutable\":\"true\"" : "") + "}}");
            ContainerRuntime.run(new String[] {"create", log, bundle.toString(), "c" + i}, env);
            Files.writeString(process, "{\"args\":[\"hello\"],\"env\":[\"PATH=/usr/bin:/bin\"],\"cwd\":\"/\"}");
            ContainerRuntime.run(new String[] {"exec", log, dir.resolve("containers/c" + i + "/activation.json").toString(),
                    process.toString()}, Map.of());
            NarUnpacker.deleteTree(bundle);
            NarUnpacker.deleteTree(sandbox);
            NarUnpacker.deleteTree(dir.resolve("containers/c" + i));
            NarUnpacker.deleteTree(dir.resolve("mutable/c" + i));
            Files.deleteIfExists(dir.resolve("roots/c" + i));
        }
        server.interrupt();
        if (Files.exists(dir.resolve("log.json"))) {
            throw new IllegalStateException("the training create failed: " + Files.readString(dir.resolve("log.json")));
        }
    }

    /** In the child JVM: node.toml, a node store holding a package and the view of a lock of it, the hub's answer. */
    static void setup(Path dir, int port) throws IOException {
        String system = NodeConfig.currentSystem();
        Files.writeString(dir.resolve("node.toml"), "hub_url = \"http://127.0.0.1:" + port + "\"\n"
                + "trusted_keys = [\"k:" + Base64.getEncoder().encodeToString(new byte[32]) + "\"]\n"
                + "state_dir = \"" + dir + "\"\nstore_dir = \"" + dir.resolve("store") + "\"\n");
        NodeStore store = NodeStore.open(dir.resolve("store"), dir.resolve("tmp"));
        Path bin = Files.createDirectories(dir.resolve("src/hello/bin"));
        for (String name : List.of("hello", "bash")) {
            Files.writeString(bin.resolve(name), "#!/bin/sh\n");
            bin.resolve(name).toFile().setExecutable(true);
        }
        StorePath hello = store.add(bin.getParent(), "hello", false);
        String lock = "{\"lockfile-version\": 1, \"manifest\": {\"version\": 1, \"install\": {\"hello\": {\"store-path\": \""
                + hello + "\"}}, \"vars\": {\"A\": \"b\"}, \"hook\": {\"on-activate\": \"true\"}}, \"packages\": [{\"install_id\": \"hello\", "
                + "\"store_path\": \"" + hello + "\", \"system\": \"" + system + "\", \"priority\": 5}]}";
        EnvironmentView.build(store, Lockfile.parse(lock, "manifest.lock"), system);
        Files.writeString(dir.resolve("generation.json"), "{\"owner\":\"o\",\"name\":\"n\",\"generation\":1,\"live\":true,"
                + "\"manifest\":\"\",\"lock\":" + lock + ",\"created\":{\"author\":\"a\",\"hostname\":\"h\",\"command\":null,\"timestamp\":0}}");
    }

    /**
     * Answers GET with the generation and PUT (activation reports) with 202; keep-alive, as the hub
     * (the runtime's client reuses its connection), one thread per connection.
     */
    private static void serve(ServerSocket server, byte[] generation) {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread.ofVirtual().start(() -> answer(s, generation));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void answer(Socket s, byte[] generation) {
        try (s) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            OutputStream out = s.getOutputStream();
            for (String requestLine = in.readLine(); requestLine != null; requestLine = in.readLine()) {
                int length = 0;
                for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
                    if (h.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(h.substring(15).strip());
                    }
                }
                for (int i = 0; i < length; i++) {
                    in.read();
                }
                boolean put = requestLine.startsWith("PUT");
                byte[] body = put ? "{\"accepted\":1}".getBytes(StandardCharsets.UTF_8) : generation;
                byte[] head = ((put ? "HTTP/1.1 202 Accepted" : "HTTP/1.1 200 OK") + "\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
                // one write: head and body in two would wait out the client's delayed ACK (Nagle)
                byte[] response = java.util.Arrays.copyOf(head, head.length + body.length);
                System.arraycopy(body, 0, response, head.length, body.length);
                out.write(response);
                out.flush();
            }
        } catch (IOException e) {
            // the client went away
        }
    }
}
