package org.imageless.runtime;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
            Map<String, String> env = Map.of(NodeConfig.ENV, dir.resolve("node.toml").toString());
            starts(dir, hub, 4, args -> ContainerRuntime.run(args, env));
        } finally {
            NarUnpacker.deleteTree(dir);
        }
    }

    /** How long a training create waits for its planning ahead ({@link CreatesAhead#settle}). */
    private static final Duration PLANNING = Duration.ofMillis(100);

    /**
     * The resident daemon's warm-up, before it serves: {@code rounds} container starts (create and exec) of
     * a training environment, in this JVM, as the daemon runs them, so that the JIT has compiled the path a
     * start takes (a node's daemon sees too few starts to get there on its own: a cold create takes ~4x as
     * long). The starts go through a daemon of their own, over its FIFOs as a launcher asks, with bundles
     * as containerd writes them: the JIT compiles what it has seen run, and what it has not seen keeps it
     * compiling while runc starts the first containers. Everything it writes is under a temporary
     * directory, removed at the end.
     *
     * @return how long it took
     */
    static Duration warmUp(int rounds) throws IOException {
        long t0 = System.nanoTime();
        Path dir = Files.createTempDirectory("flox-runtime-warm-up-");
        try (ServerSocket hub = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            setup(dir, hub.getLocalPort());
            Path config = dir.resolve("node.toml");
            // closing it also sends the training's activation reports, to the stub while it still answers
            try (RuntimeDaemon trainee = RuntimeDaemon.start(dir, new PrintStream(OutputStream.nullOutputStream()))) {
                starts(dir, hub, rounds, args -> {
                    if (args[0].equals("create")) {
                        // containerd writes a bundle some milliseconds before its create: planned ahead meanwhile
                        CreatesAhead.settle(Path.of(args[2]), PLANNING);
                    }
                    return RuntimeDaemon.ask(dir, config, args);
                });
            }
        } finally {
            NarUnpacker.deleteTree(dir);
        }
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** One call of the runtime's Java half ({@code create|exec LOG ARG ARG}); its exit status. */
    @FunctionalInterface
    interface Call {
        int run(String[] args) throws IOException;
    }

    /**
     * {@code rounds} creates and execs in {@code dir} (made by {@link #setup}), with {@code hub} answering:
     * each round a pod's sandbox (in resident mode it prepares the pod's environment), then its container;
     * every fourth container has no sandbox before it (as a restart) and resolves itself.
     */
    static void starts(Path dir, ServerSocket hub, int rounds, Call call) throws IOException {
        byte[] generation = Files.readAllBytes(dir.resolve("generation.json"));
        // serves until the caller closes hub
        Thread.ofPlatform().daemon().start(() -> serve(hub, generation));
        String sandboxConfig = resource("sandbox.json");
        String containerConfig = resource("container.json");
        String processJson = Json.MAPPER.readTree(containerConfig).get("process").toString();
        Path process = dir.resolve("process.json");
        String log = dir.resolve("log.json").toString();
        for (int i = 0; i < rounds; i++) {
            // ids as containerd makes them (64 hex digits)
            String sandboxId = "%064x".formatted(2L * i);
            String id = "%064x".formatted(2L * i + 1);
            // bundles named by their container's ID, as containerd's are (a create written ahead relies on it)
            Path sandbox = dir.resolve(sandboxId);
            if (i % 4 != 2) {
                Files.createDirectories(sandbox.resolve("rootfs"));
                Files.writeString(sandbox.resolve("config.json"), sandboxConfig.replace("@SANDBOX_ID@", sandboxId));
                expectSuccess(dir, call.run(new String[] {"create", log, sandbox.toString(), sandboxId}));
            }
            Path bundle = Files.createDirectories(dir.resolve(id + "/rootfs")).getParent();
            String config = containerConfig.replace("@SANDBOX_ID@", sandboxId).replace("@ID@", id);
            if (i % 4 == 1) {
                config = config.replace("\"flox.dev/environment\":\"o/n\"", "\"flox.dev/environment\":\"o/n\",\"flox.dev/nix-mutable\":\"true\"");
            }
            Files.writeString(bundle.resolve("config.json"), config);
            expectSuccess(dir, call.run(new String[] {"create", log, bundle.toString(), id}));
            // a fresh process each time, as containerd writes one per exec (exec edits it in place)
            Files.writeString(process, processJson);
            expectSuccess(dir, call.run(new String[] {"exec", log, dir.resolve("containers/" + id + "/activation.json").toString(),
                    process.toString()}));
            // as the launcher's delete, then containerd: the state first (a bundle written ahead that goes takes
            // its activation record with it, on the daemon's watch thread)
            NarUnpacker.deleteTree(dir.resolve("containers/" + id));
            NarUnpacker.deleteTree(dir.resolve("containers/" + sandboxId));
            NarUnpacker.deleteTree(dir.resolve("mutable/" + id));
            Files.deleteIfExists(dir.resolve("roots/" + id));
            Files.deleteIfExists(dir.resolve("roots/" + sandboxId));
            NarUnpacker.deleteTree(bundle);
            NarUnpacker.deleteTree(sandbox);
        }
    }

    private static void expectSuccess(Path dir, int status) throws IOException {
        if (status != 0) {
            Path log = dir.resolve("log.json");
            throw new IllegalStateException("a training start failed (exit " + status + "): "
                    + (Files.exists(log) ? Files.readString(log) : "no log"));
        }
    }

    /** A training bundle's {@code config.json}, as containerd 1.6's CRI plugin writes it for a pod of Flox's documentation. */
    private static String resource(String name) throws IOException {
        try (InputStream in = AotTraining.class.getResourceAsStream("training/" + name)) {
            if (in == null) {
                throw new IOException("the runtime's jar has no training/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * In the child JVM: node.toml, a node store holding two packages and the view of a lock of them, and
     * the hub's answer for the environment, shaped as the hub's own (a catalog lock, the manifest's text):
     * parsing JSON of another shape than the training's makes the JIT drop compiled code when served.
     */
    static void setup(Path dir, int port) throws IOException {
        String system = NodeConfig.currentSystem();
        Files.writeString(dir.resolve("node.toml"), "hub_url = \"http://127.0.0.1:" + port + "\"\n"
                + "trusted_keys = [\"k:" + Base64.getEncoder().encodeToString(new byte[32]) + "\"]\n"
                + "state_dir = \"" + dir + "\"\nstore_dir = \"" + dir.resolve("store") + "\"\n");
        NodeStore store = NodeStore.open(dir.resolve("store"), dir.resolve("tmp"));
        StorePath hello = store.add(trainingPackage(dir, "hello", "hello", "bash"), "hello", false);
        StorePath tools = store.add(trainingPackage(dir, "tools", "tools-hello"), "tools", false);
        String lock = """
                {"lockfile-version":1,"manifest":{"version":1,"install":{"hello":{"pkg-path":"hello"},"tools":{"pkg-path":"tools"}},\
                "vars":{"GREETING":"hi"},"hook":{"on-activate":"export A=b\\n"},"options":{"systems":["%s"]}},"packages":[%s,%s]}\
                """.formatted(system, catalogEntry("hello", "2.12.1", hello, system), catalogEntry("tools", "1.0.0", tools, system));
        EnvironmentView.build(store, Lockfile.parse(lock, "manifest.lock"), system);
        Files.writeString(dir.resolve("generation.json"), """
                {"owner":"o","name":"n","generation":1,"live":true,"manifest":"version = 1\\n\\n[install]\\nhello.pkg-path = \\"hello\\"\\n\
                tools.pkg-path = \\"tools\\"\\n\\n[vars]\\nGREETING = \\"hi\\"\\n\\n[hook]\\non-activate = \\"export A=b\\"\\n\\n[options]\\n\
                systems = [\\"%s\\"]\\n","lock":%s,"created":{"author":"alice","hostname":"laptop","command":"flox install hello tools",\
                "timestamp":1795373964}}""".formatted(system, lock));
    }

    /** A package of executables {@code names}, each a shell script, to add to the training store. */
    private static Path trainingPackage(Path dir, String pname, String... names) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("src/" + pname + "/bin"));
        for (String name : names) {
            Files.writeString(bin.resolve(name), "#!/bin/sh\n");
            bin.resolve(name).toFile().setExecutable(true);
        }
        return bin.getParent();
    }

    /** A lock entry as the hub's catalog resolves one (Flox's catalog fields). */
    private static String catalogEntry(String pname, String version, StorePath out, String system) {
        return """
                {"attr_path":"o/%1$s","broken":false,"derivation":"","description":"%1$s %2$s","install_id":"%1$s","license":"MIT",\
                "locked_url":"http://127.0.0.1:8484/api/v1/catalog/o/packages/%1$s/versions/%2$s","name":"%1$s-%2$s","pname":"%1$s",\
                "rev":"e3fc522d2ec3450b92434a2e0c1a91865f7565ef","rev_count":1,"rev_date":"2026-11-22T18:59:23Z",\
                "scrape_date":"2026-11-22T18:59:23Z","stabilities":["stable"],"unfree":false,"version":"%2$s",\
                "outputs_to_install":["out"],"outputs":{"out":"%3$s"},"system":"%4$s","group":"toplevel","priority":5}\
                """.formatted(pname, version, out, system);
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
