package org.imageless.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.imageless.e2e.testing.Pods.container;
import static org.imageless.e2e.testing.Pods.pod;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.imageless.e2e.testing.Pods;
import org.imageless.e2e.testing.World;
import org.imageless.e2e.testing.WorldExtension;
import org.imageless.node.cri.CriClient;
import org.imageless.node.pod.PodConfigs;
import org.imageless.node.pod.PodManifest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code make bench} part {@code runtime} (scripts/bench.sh): ratios measured in one run on the same
 * containerd, through the CRI as kubelet calls it.
 * <ul>
 *   <li>CreateContainer + StartContainer of a flox container whose closure is cached, against the
 *       same container (busybox image, same command) on plain runc;
 *   <li>ExecSync with activation against plain runc's ExecSync;
 *   <li>both twice: with a JVM per call, then with the node's resident daemon ({@code flox-node runtime serve})
 *       after {@code bench.daemon.warmup} rounds on it;
 *   <li>a cold start of a ~100 MB closure from the loopback hub, with bytes/s.
 * </ul>
 * Lines go to the file in system property {@code bench.report} (else stdout).
 */
@Tag("bench")
@ExtendWith(WorldExtension.class)
class RuntimeBench {

    private static final int RUNS = Integer.getInteger("bench.runs", 7);
    /** Rounds run on a fresh daemon before it is measured (a node's daemon has run for a long time). */
    private static final int DAEMON_WARMUP = Integer.getInteger("bench.daemon.warmup", 60);
    /** Generation lookups the hub serves before anything is measured (a hub serves every node's starts). */
    private static final int HUB_WARMUP = Integer.getInteger("bench.hub.warmup", 3000);

    @Test
    void runtimeRatios(World w) throws Exception {
        List<String> report = new ArrayList<>();
        CriClient cri = w.containerd.cri();
        int generation = w.push("bench", List.of("busybox"), Map.of("BENCH", "1"), null);
        // warm: the closure and the view are on the node
        warmUp(w);
        // and the hub's generation lookup, which every start on every node makes: a hub has served many
        warmHub(w, "acme/bench", HUB_WARMUP);
        // and the activation reports every start sends (a hub takes them from all of its nodes)
        warmReports(w, "acme/bench", generation, HUB_WARMUP);

        Medians perCall = measure(w, cri, "jvm", Integer.getInteger("bench.jvm.runs", RUNS), report);
        report.add(String.format("Runtime create+start (closure cached), a JVM per call: flox %d ms, plain runc %d ms, ratio %.2f, %s, "
                        + "overhead %.1f ms (target <= 1.10; CPU stolen %d%%)",
                perCall.create, perCall.createPlain, perCall.createRatio(), interval(perCall.createInterval), perCall.createOverhead, perCall.stolen));
        report.add(String.format("Runtime exec, a JVM per call: with activation %d ms, plain runc %d ms, ratio %.2f, %s, overhead %.1f ms (target <= 1.25)",
                perCall.exec, perCall.execPlain, perCall.execRatio(), interval(perCall.execInterval), perCall.execOverhead));

        // resident mode: flox-node runtime serve for the same node, warmed up as a node's long-running daemon is
        Process daemon = w.main.startDaemon(w.dir.resolve("bench-daemon.log"));
        Medians resident;
        try {
            measure(w, cri, "daemon-warm", DAEMON_WARMUP, new ArrayList<>());
            double[] before = hubTimes(w, LOOKUP_ROUTE);
            double[] reportsBefore = hubTimes(w, REPORT_ROUTE);
            resident = measure(w, cri, "daemon", RUNS, report);
            double[] after = hubTimes(w, LOOKUP_ROUTE);
            double[] reportsAfter = hubTimes(w, REPORT_ROUTE);
            report.add(String.format("  daemon: the hub's own time per generation lookup during the runs: %.2f ms (mean of %.0f)",
                    (after[0] - before[0]) * 1000 / Math.max(1, after[1] - before[1]), after[1] - before[1]));
            report.add(String.format("  daemon: the hub's own time per activation report request during the runs: %.2f ms (mean of %.0f)",
                    (reportsAfter[0] - reportsBefore[0]) * 1000 / Math.max(1, reportsAfter[1] - reportsBefore[1]),
                    reportsAfter[1] - reportsBefore[1]));
        } finally {
            daemon.destroy();
            daemon.waitFor();
        }
        report.add(String.format("Runtime create+start (closure cached), resident daemon: flox %d ms, plain runc %d ms, ratio %.2f, %s, "
                        + "overhead %.1f ms (target <= 1.10; CPU stolen %d%%)",
                resident.create, resident.createPlain, resident.createRatio(), interval(resident.createInterval), resident.createOverhead, resident.stolen));
        report.add(String.format("Runtime exec, resident daemon: with activation %d ms, plain runc %d ms, ratio %.2f, %s, overhead %.1f ms (target <= 1.25)",
                resident.exec, resident.execPlain, resident.execRatio(), interval(resident.execInterval), resident.execOverhead));

        // cold start of a ~100 MB closure (incompressible: the cache serves what nix copy uploaded)
        int mb = Integer.getInteger("bench.cold.mb", 100);
        Path payload = Files.createDirectories(w.dir.resolve("bench-payload/share"));
        try (OutputStream out = Files.newOutputStream(payload.resolve("blob"))) {
            Random r = new Random(42);
            byte[] buf = new byte[1 << 20];
            for (int i = 0; i < mb; i++) {
                r.nextBytes(buf);
                out.write(buf);
            }
        }
        String big = w.nix.add(payload.getParent());
        w.uploadAndPublish("bigpkg", big);
        w.push("cold", List.of("busybox", "bigpkg"), Map.of(), null);
        long narBytes = Files.size(payload.resolve("blob")) + Files.size(w.nix.realPath(w.busybox).resolve("bin/busybox"));
        Timed cold = createAndStart(w, cri, pod("bench-cold", "flox-fresh", Map.of("flox.dev/environment", "acme/cold"),
                container("app", Pods.BUSYBOX, List.of("sleep", "3600"))));
        cri.stopPodSandbox(cold.sandboxId);
        cri.removePodSandbox(cold.sandboxId);
        report.add(String.format("Runtime cold start: %d MB closure from a loopback hub in %d ms (create+start), %.0f MB/s",
                narBytes >> 20, cold.millis, narBytes / 1048576.0 / (cold.millis / 1000.0)));

        String text = String.join("\n", report) + "\n";
        String file = System.getProperty("bench.report");
        if (file == null || file.isBlank()) {
            System.out.print(text);
        } else {
            Files.writeString(Path.of(file), text);
        }
    }

    /**
     * {@code stolen}: the share of CPU time the hypervisor took during the runs, in percent (it decides most tails);
     * {@code createInterval}, {@code execInterval}: where the ratio lies with 95 % confidence;
     * {@code createOverhead}, {@code execOverhead}: the median of each round's flox minus plain time, in ms (what the runtime
     * adds; the ratio also moves with runc's own time, which follows the machine's load).
     */
    private record Medians(long create, long createPlain, long exec, long execPlain, long stolen, double[] createInterval,
                           double[] execInterval, double createOverhead, double execOverhead) {
        double createRatio() {
            return (double) create / createPlain;
        }

        double execRatio() {
            return (double) exec / execPlain;
        }
    }

    /** {@code [low, high]}, formatted as the report shows an interval. */
    private static String interval(double[] i) {
        return String.format("95%% interval %.2f-%.2f", i[0], i[1]);
    }

    /**
     * A 95 % bootstrap interval of median(flox) / median(plain): the rounds resampled with replacement, each
     * round's pair kept together, 2000 times (a fixed seed: the same runs give the same interval).
     */
    static double[] ratioInterval(List<Long> flox, List<Long> plain) {
        int n = flox.size();
        java.util.Random random = new java.util.Random(1);
        double[] ratios = new double[2000];
        List<Long> a = new ArrayList<>(n);
        List<Long> b = new ArrayList<>(n);
        for (int k = 0; k < ratios.length; k++) {
            a.clear();
            b.clear();
            for (int i = 0; i < n; i++) {
                int j = random.nextInt(n);
                a.add(flox.get(j));
                b.add(plain.get(j));
            }
            ratios[k] = (double) median(a) / Math.max(1, median(b));
        }
        java.util.Arrays.sort(ratios);
        return new double[] {ratios[ratios.length / 40], ratios[ratios.length - 1 - ratios.length / 40]};
    }

    /**
     * {@code runs} rounds of: a flox pod and the same pod on plain runc, each timed for CreateContainer +
     * StartContainer, then for an ExecSync of {@code true} (flox first in even rounds, plain runc first in
     * odd ones); medians of each.
     */
    private static Medians measure(World w, CriClient cri, String label, int runs, List<String> report) {
        List<Long> flox = new ArrayList<>();
        List<Long> plain = new ArrayList<>();
        List<Long> execFlox = new ArrayList<>();
        List<Long> execPlain = new ArrayList<>();
        List<String> phases = new ArrayList<>();
        List<String> splitFlox = new ArrayList<>();
        List<String> splitPlain = new ArrayList<>();
        long[] ticks = cpuTicks();
        for (int i = 0; i < runs; i++) {
            String floxYaml = pod("bench-" + label + "-flox-" + i, "flox", Boolean.getBoolean("bench.nometrics") ? Map.of("flox.dev/environment", "acme/bench", "flox.dev/disable-metrics", "true") : Map.of("flox.dev/environment", "acme/bench"),
                    container("app", Pods.BUSYBOX, List.of("sleep", "3600")));
            String plainYaml = pod("bench-" + label + "-runc-" + i, "runc", Map.of(), container("app", Pods.BUSYBOX, List.of("sleep", "3600")));
            // which goes first alternates, so that neither always runs in the wake of the other's work
            boolean floxFirst = i % 2 == 0;
            Timed f = floxFirst ? createAndStart(w, cri, floxYaml) : null;
            Timed p = createAndStart(w, cri, plainYaml);
            if (!floxFirst) {
                f = createAndStart(w, cri, floxYaml);
            }
            flox.add(f.millis);
            plain.add(p.millis);
            splitFlox.add(f.split());
            splitPlain.add(p.split());
            if (floxFirst) {
                execFlox.add(execMillis(cri, f.containerId));
                execPlain.add(execMillis(cri, p.containerId));
            } else {
                execPlain.add(execMillis(cri, p.containerId));
                execFlox.add(execMillis(cri, f.containerId));
            }
            assertThat(cri.execSync(f.containerId, List.of("sh", "-c", "echo $BENCH"), 10).getStdout().toStringUtf8()).contains("1");
            phases.add(lastPhase(w, f.containerId));
            if (i == runs - 1) {
                try {
                    w.runtimeLog(f.containerId).lines().filter(l -> l.contains("timings")).findFirst()
                            .ifPresent(l -> report.add("  " + label + ": last flox create's phases: " + l));
                } catch (java.io.IOException e) {
                    report.add("  " + label + ": no runtime log for the last flox create: " + e);
                }
            }
            cri.stopPodSandbox(f.sandboxId);
            cri.removePodSandbox(f.sandboxId);
            cri.stopPodSandbox(p.sandboxId);
            cri.removePodSandbox(p.sandboxId);
        }
        report.add("  " + label + ": create+start runs (ms): flox " + flox + ", runc " + plain + "; exec runs (ms): flox " + execFlox
                + ", runc " + execPlain + "; the runtime's own create phases (ms since it began): " + phases);
        report.add("  " + label + ": CreateContainer+StartContainer (ms): flox " + splitFlox + ", runc " + splitPlain);
        report.add(String.format("  %s: overhead (ms) in rounds where flox went first / second: create+start %.1f / %.1f, exec %.1f / %.1f",
                label, pairedDifference(everyOther(flox, 0), everyOther(plain, 0)), pairedDifference(everyOther(flox, 1), everyOther(plain, 1)),
                pairedDifference(everyOther(execFlox, 0), everyOther(execPlain, 0)),
                pairedDifference(everyOther(execFlox, 1), everyOther(execPlain, 1))));
        long[] after = cpuTicks();
        long stolen = after[1] > ticks[1] ? 100 * (after[0] - ticks[0]) / (after[1] - ticks[1]) : 0;
        return new Medians(median(flox), median(plain), median(execFlox), median(execPlain), stolen, ratioInterval(flox, plain),
                ratioInterval(execFlox, execPlain), pairedDifference(flox, plain), pairedDifference(execFlox, execPlain));
    }

    /** The create timings the runtime logged for {@code containerId}, e.g. {@code spec=0.2 pod=0.8 … record=3.1}. */
    private static String lastPhase(World w, String containerId) {
        try {
            String line = w.runtimeLog(containerId).lines().filter(l -> l.contains("timings")).findFirst().orElse("");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("began\\): ([^\"]*)\"").matcher(line);
            return m.find() ? m.group(1) : "?";
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    /** Steal and total CPU ticks of all CPUs so far ({@code /proc/stat}). */
    private static long[] cpuTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length; i++) {
                total += Long.parseLong(f[i]);
            }
            return new long[] {f.length > 8 ? Long.parseLong(f[8]) : 0, total};
        } catch (java.io.IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    private static void warmUp(World w) {
        for (String handler : List.of("flox", "runc")) {
            Map<String, String> annotations = handler.equals("flox") ? Map.of("flox.dev/environment", "acme/bench") : Map.of();
            var pod = w.run(pod("bench-warm-" + handler, handler, annotations, container("app", Pods.BUSYBOX, List.of("sleep", "3600"))));
            w.exec(World.container(pod, "app"), "true");
            w.remove(pod);
        }
    }

    /** {@code n} lookups of {@code ref}'s live generation, as the runtime makes them. */
    private static void warmHub(World w, String ref, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            get(w.hub.url() + "/api/v1/environments/" + ref + "/generations/live");
        }
    }

    /** {@code n} activation reports of generation {@code generation} of {@code ref}, as the daemon sends them. */
    private static void warmReports(World w, String ref, int generation, int n) {
        var hub = new org.imageless.runtime.hub.HubClient(java.net.URI.create(w.hub.url()), java.util.Optional.empty(),
                java.time.Duration.ofSeconds(10));
        for (int i = 0; i < n; i++) {
            String event = String.format("{\"environment\":\"%s\",\"generation\":%d,\"node\":\"bench\",\"namespace\":\"default\","
                    + "\"pod\":\"bench-warm-%d\",\"container\":\"app\",\"mode\":\"run\",\"time\":\"%s\"}", ref, generation, i,
                    java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
            assertThat(hub.report(event)).as("warm-up report %d accepted", i).isTrue();
        }
    }

    /** The body of a GET of {@code url} (keep-alive, as the runtime's client). */
    private static String get(String url) throws Exception {
        var c = (java.net.HttpURLConnection) java.net.URI.create(url).toURL().openConnection();
        try (var in = c.getInputStream()) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private static final String LOOKUP_ROUTE = "route=\"/api/v1/environments/{owner}/{name}/generations/{generation}\"";
    private static final String REPORT_ROUTE = "route=\"/api/v1/events\"";

    /** The hub's {@code /metrics}: seconds spent in, and number of, requests of {@code route} answered 2xx. */
    private static double[] hubTimes(World w, String route) throws Exception {
        String text = get(w.hub.url() + "/metrics");
        double[] out = new double[2];
        for (String line : text.split("\n")) {
            if (line.contains(route) && line.matches(".*status=\"2\\d\\d\".*")) {
                String value = line.substring(line.lastIndexOf(' ') + 1);
                if (line.startsWith("floxhub_http_request_duration_seconds_sum")) {
                    out[0] = Double.parseDouble(value);
                } else if (line.startsWith("floxhub_http_request_duration_seconds_count")) {
                    out[1] = Double.parseDouble(value);
                }
            }
        }
        return out;
    }

    /** {@code millis}: CreateContainer + StartContainer; {@code create} and {@code start}: each call's own. */
    private record Timed(String sandboxId, String containerId, long millis, double create, double start) {
        String split() {
            return create + "+" + start;
        }
    }

    /** RunPodSandbox (untimed), then CreateContainer + StartContainer (timed). */
    private static Timed createAndStart(World w, CriClient cri, String yaml) {
        var configs = new PodConfigs(PodManifest.parse(yaml, "bench pod"), Map.of(), w.containerd.podLogs(), w.dir.resolve("bench-volumes"));
        String sandbox = cri.runPodSandbox(configs.sandbox(), configs.runtimeHandler());
        String ip = cri.podSandboxStatus(sandbox).getStatus().getNetwork().getIp();
        long start = System.nanoTime();
        String id = cri.createContainer(sandbox, configs.container(configs.containers().getFirst(), ip), configs.sandbox());
        long created = System.nanoTime();
        cri.startContainer(id);
        long end = System.nanoTime();
        return new Timed(sandbox, id, (end - start) / 1_000_000, (created - start) / 100_000 / 10.0, (end - created) / 100_000 / 10.0);
    }

    /**
     * Pause before each timed exec, so that it does not run in the wake of the round's second pod start: without
     * it, whichever exec went first took ~10 ms longer than the other (containerd and the shim of the container
     * just started go on working for a while).
     */
    private static final long SETTLE_MS = Long.getLong("bench.settle.ms", 150);

    private static void settle() {
        try {
            Thread.sleep(SETTLE_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long execMillis(CriClient cri, String containerId) {
        settle();
        long start = System.nanoTime();
        var r = cri.execSync(containerId, List.of("true"), 30);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.getExitCode()).isZero();
        return millis;
    }

    /** Elements {@code first}, {@code first + 2}, … of {@code l}: the rounds of one order. */
    static List<Long> everyOther(List<Long> l, int first) {
        List<Long> out = new ArrayList<>();
        for (int i = first; i < l.size(); i += 2) {
            out.add(l.get(i));
        }
        return out;
    }

    /** The median of {@code a[i] - b[i]} over the rounds (the middle two averaged for an even count). */
    static double pairedDifference(List<Long> a, List<Long> b) {
        List<Long> d = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            d.add(a.get(i) - b.get(i));
        }
        Collections.sort(d);
        int n = d.size();
        if (n == 0) {
            return Double.NaN; // no rounds (one order of a single round)
        }
        return n % 2 == 1 ? d.get(n / 2) : (d.get(n / 2 - 1) + d.get(n / 2)) / 2.0;
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
