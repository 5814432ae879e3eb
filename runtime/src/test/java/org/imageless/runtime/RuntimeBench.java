package org.imageless.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.imageless.hub.testing.RunningHub;
import org.imageless.runtime.testing.Bundles;
import org.imageless.runtime.testing.Launcher;
import org.imageless.runtime.testing.RuntimeFixture;
import org.imageless.runtime.testing.Runc;
import org.imageless.runtime.testing.TestHub;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container start and exec costs of flox-container-runtime against plain runc, with the
 * environment's closure already on the node: {@code create}+{@code start} and {@code exec}, without
 * and with the resident daemon. Not a test (surefire's default includes skip the name): run with
 * {@code mvn -pl runtime -am test -Dtest=RuntimeBench -Dsurefire.failIfNoSpecifiedTests=false}
 * ({@code make bench BENCH_PARTS=runtime} does), optionally {@code -Dbench.launcher=bin/flox-container-runtime}
 * (the launcher {@code make build} made, with its AOT cache; default: one on the test class path,
 * without AOT) and {@code -Dbench.runs=N}. Prints one line per comparison and writes them to
 * {@code -Dbench.report=FILE} if given.
 */
class RuntimeBench {

    @TempDir
    Path tmp;
    Path runcRoot;
    int serial;
    static Path nodeConfig;

    @Test
    void measure() throws Exception {
        Runc.require();
        int runs = Integer.getInteger("bench.runs", 11);
        RuntimeFixture fixture = new RuntimeFixture(tmp.resolve("fixture"));
        List<String> report = new ArrayList<>();
        Process daemon = null;
        try (TestHub hub = new TestHub(tmp.resolve("hub"), fixture)) {
            hub.push("web", RunningHub.manifest(List.of("busybox", "tools"), Map.of("GREETING", "hi"), null));
            Path nodeToml = RuntimeFixture.nodeConfig(tmp.resolve("node"), hub.url(), hub.publicKey(), "");
            nodeConfig = nodeToml;
            String given = System.getProperty("bench.launcher", "");
            Launcher launcher = given.isBlank() ? Launcher.write(tmp.resolve("bin"), Launcher.realJava(), nodeToml)
                    : Launcher.of(Path.of(given).toAbsolutePath(), nodeToml);
            String script = launcher.script().toString();
            runcRoot = tmp.resolve("runc-root");
            String root = runcRoot.toString();

            // the closure on the node, and a prepared bundle for plain runc (the same container, already edited)
            Path prepared = bundle();
            check(run(List.of(script, "--root", root, "create", "--bundle", prepared.toString(), "prep")), "first create");
            runc("delete", "--force", "prep");
            // a long-running container for exec
            Path longBundle = Bundles.write(tmp.resolve("long"), List.of("sleep", "600"),
                    Bundles.container("long", Map.of("flox.dev/environment", "acme/web")), List.of());
            check(run(List.of(script, "--root", root, "create", "--bundle", longBundle.toString(), "long")), "create long");
            check(run(List.of(script, "--root", root, "start", "long")), "start long");
            Path process = Files.writeString(tmp.resolve("process.json"), """
                    {"terminal": false, "user": {"uid": 0, "gid": 0}, "cwd": "/", "args": ["echo", "hi"],
                     "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}
                    """);
            Path editedProcess = tmp.resolve("process-edited.json");
            Files.copy(process, editedProcess);
            Exec.run(tmp.resolve("node/state/containers/long/activation.json"), editedProcess);

            Map<String, long[]> create = new LinkedHashMap<>();
            Map<String, long[]> exec = new LinkedHashMap<>();
            Map<String, long[]> createOnly = new LinkedHashMap<>();
            for (String k : List.of("runc", "jvm", "runc-d", "daemon")) {
                createOnly.put(k, new long[runs]);
                create.put(k, new long[runs]);
                exec.put(k, new long[runs]);
            }
            Path stateDir = tmp.resolve("node/state");
            // without a daemon, then with one (started once, warmed up like a node's daemon is), each alternating with plain runc
            for (List<String> phase : List.of(List.of("runc", "jvm"), List.of("runc-d", "daemon"))) {
                if (phase.contains("daemon")) {
                    daemon = startDaemon(nodeToml, stateDir);
                }
                for (int i = phase.contains("daemon") ? -Integer.getInteger("bench.daemon.warmup", 20) : -5; i < runs; i++) {
                    for (String k : phase) {
                        boolean plain = k.startsWith("runc");
                        String id = k + "-" + (++serial);
                        long only;
                        long ms;
                        if (plain) {
                            Path b = copyBundle(prepared, id);
                            only = timed(List.of("runc", "--root", root, "create", "--bundle", b.toString(), id));
                            ms = only + timed(List.of("runc", "--root", root, "start", id));
                        } else {
                            Path b = bundle();
                            only = timed(List.of(script, "--root", root, "--log", floxLog().toString(), "create", "--bundle", b.toString(), id));
                            ms = only + timed(List.of(script, "--root", root, "start", id));
                        }
                        runc("delete", "--force", id);
                        Path p = tmp.resolve("p-" + id + ".json");
                        Files.copy(plain ? editedProcess : process, p);
                        long e = timed(List.of(plain ? "runc" : script, "--root", root, "exec", "--process", p.toString(), "long"));
                        if (i >= 0) {
                            createOnly.get(k)[i] = only;
                            create.get(k)[i] = ms;
                            exec.get(k)[i] = e;
                        }
                    }
                }
            }
            runc("delete", "--force", "long");
            String launcherKind = given.isBlank() ? "test class path, no AOT cache" : given;
            report.add(String.format("Runtime create+start (closure cached, medians of %d): without daemon: runc %d ms, flox %d ms, "
                            + "ratio %.2f; with daemon: runc %d ms, flox %d ms, ratio %.2f (target <= 1.10)", runs,
                    median(create.get("runc")), median(create.get("jvm")), ratio(create, "jvm", "runc"),
                    median(create.get("runc-d")), median(create.get("daemon")), ratio(create, "daemon", "runc-d")));
            report.add(String.format("Runtime exec (medians of %d): without daemon: runc %d ms, flox %d ms, ratio %.2f; "
                            + "with daemon: runc %d ms, flox %d ms, ratio %.2f (target <= 1.25)", runs,
                    median(exec.get("runc")), median(exec.get("jvm")), ratio(exec, "jvm", "runc"),
                    median(exec.get("runc-d")), median(exec.get("daemon")), ratio(exec, "daemon", "runc-d")));
            List<String> timings = Files.readAllLines(floxLog()).stream().filter(l -> l.contains("timings")).toList();
            report.add("  create phases, last without daemon: " + timings.get(runs + 4) + "; last with: " + timings.getLast());
            report.add(String.format("  create alone (medians): runc %d ms, flox without daemon %d ms; runc %d ms, flox with daemon %d ms",
                    median(createOnly.get("runc")), median(createOnly.get("jvm")), median(createOnly.get("runc-d")), median(createOnly.get("daemon"))));
            List<String> served = Files.readAllLines(tmp.resolve("daemon.log"));
            report.add("  daemon's own account of the last requests: " + served.subList(Math.max(0, served.size() - 4), served.size()));
            report.add("  (launcher: " + launcherKind + "; runs create " + runsText(create) + "; exec " + runsText(exec) + ")");
        } finally {
            if (daemon != null) {
                daemon.destroy();
                daemon.waitFor();
            }
        }
        report.forEach(System.out::println);
        String file = System.getProperty("bench.report", "");
        if (!file.isBlank()) {
            Files.write(Path.of(file), report, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        }
    }

    Path floxLog() {
        return tmp.resolve("flox-log.json");
    }

    Path bundle() throws IOException {
        return Bundles.write(tmp.resolve("bundles/b" + (++serial)), List.of("sh", "-c", "true"),
                Bundles.container("app", Map.of("flox.dev/environment", "acme/web", "flox.dev/disable-metrics", "true")), List.of());
    }

    Path copyBundle(Path prepared, String id) throws IOException {
        Path b = Files.createDirectories(tmp.resolve("bundles/" + id + "/rootfs"));
        Files.copy(prepared.resolve("config.json"), b.getParent().resolve("config.json"));
        return b.getParent();
    }

    Process startDaemon(Path nodeToml, Path stateDir) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Launcher.realJava(), "-cp", System.getProperty("java.class.path"),
                ContainerRuntime.class.getName(), "serve");
        pb.environment().put("FLOX_NODE_CONFIG", nodeToml.toString());
        pb.environment().put("FLOX_RUNTIME_DEBUG", "1");
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("daemon.log").toFile()));
        Process p = pb.start();
        // it serves after its warm-up (RuntimeDaemon.DEFAULT_WARM_UP training starts)
        for (int i = 0; i < 3000; i++) {
            if (RuntimeDaemon.livePid(stateDir.resolve(RuntimeDaemon.PID_FILE)).orElse(-1L) == p.pid()) {
                return p;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the daemon did not start: " + Files.readString(tmp.resolve("daemon.log")));
    }

    @SafeVarargs
    final long timed(List<String>... commands) throws Exception {
        long start = System.nanoTime();
        for (List<String> c : commands) {
            check(run(c), String.join(" ", c));
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    static int run(List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("FLOX_NODE_CONFIG", nodeConfig.toString());
        pb.environment().put("FLOX_RUNTIME_TIMINGS", "1");
        Process p = pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish");
        }
        return p.exitValue();
    }

    void runc(String... args) throws Exception {
        List<String> c = new ArrayList<>(List.of("runc", "--root", runcRoot.toString()));
        c.addAll(List.of(args));
        run(c);
    }

    static void check(int rc, String what) {
        if (rc != 0) {
            Path log = nodeConfig.resolveSibling("state/runtime-log.json");
            String why;
            try {
                why = Files.exists(log) ? Files.readString(log) : "";
            } catch (IOException e) {
                why = e.toString();
            }
            throw new AssertionError(what + " failed with exit status " + rc + ": " + why);
        }
    }

    static long median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    static double ratio(Map<String, long[]> m, String k, String base) {
        return (double) median(m.get(k)) / median(m.get(base));
    }

    static String runsText(Map<String, long[]> m) {
        StringBuilder b = new StringBuilder();
        m.forEach((k, v) -> b.append(k).append('=').append(Arrays.toString(v)).append(' '));
        return b.toString().strip();
    }
}
