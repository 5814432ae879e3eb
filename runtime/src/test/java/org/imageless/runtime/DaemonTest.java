package org.imageless.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.imageless.runtime.testing.Bundles;
import org.imageless.runtime.testing.Launcher;
import org.imageless.runtime.testing.RuntimeFixture;
import org.imageless.runtime.testing.Runc;
import org.imageless.runtime.testing.TestHub;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resident mode: the launcher hands create and exec to a running daemon ({@link RuntimeDaemon})
 * instead of starting a JVM, with the real runc, the real hub and packages built by real nix. The
 * launchers here get a "java" that fails loudly, so a call that did not go to the daemon shows.
 */
class DaemonTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    static RuntimeFixture fixture;
    static TestHub hub;

    @TempDir
    Path tmp;
    Path nodeToml;
    Path state;
    Runc runc;
    Path javaCalls;
    Launcher noJvm;
    Launcher withJvm;
    final List<AutoCloseable> daemons = new ArrayList<>();
    final List<Process> processes = new ArrayList<>();
    final ByteArrayOutputStream journal = new ByteArrayOutputStream();

    @BeforeAll
    static void packages() {
        Runc.require();
        fixture = new RuntimeFixture(shared);
        hub = new TestHub(shared, fixture);
        hub.push("web", TestHub.WEB);
    }

    @AfterAll
    static void stop() {
        if (hub != null) {
            hub.close();
        }
    }

    @BeforeEach
    void node() throws IOException {
        nodeToml = RuntimeFixture.nodeConfig(tmp.resolve("node"), hub.url(), hub.publicKey(), "");
        state = tmp.resolve("node/state");
        runc = new Runc(tmp);
        javaCalls = tmp.resolve("java-calls");
        Path noJava = LauncherTest.script(tmp.resolve("no-java"), "echo \"$@\" >> " + javaCalls + "\necho 'no JVM here' >&2\nexit 134");
        noJvm = Launcher.write(tmp.resolve("bin-daemon"), noJava.toString(), nodeToml);
        withJvm = Launcher.write(tmp.resolve("bin-jvm"), Launcher.realJava(), nodeToml);
    }

    @AfterEach
    void cleanUp() throws Exception {
        runc.close();
        for (AutoCloseable d : daemons) {
            d.close();
        }
        for (Process p : processes) {
            p.destroyForcibly().waitFor();
        }
    }

    RuntimeDaemon daemon() throws IOException {
        RuntimeDaemon d = RuntimeDaemon.start(state, new PrintStream(journal, true));
        daemons.add(d);
        return d;
    }

    /**
     * A daemon in a JVM of its own, as {@code flox-container-runtime serve} runs it, after a short warm-up (whose
     * training starts must leave nothing behind that changes what it serves); returns once it serves.
     */
    Process daemonProcess(Path config) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Launcher.realJava(), "-cp", System.getProperty("java.class.path"),
                ContainerRuntime.class.getName(), "serve", "--warm-up", "5");
        pb.environment().put("FLOX_NODE_CONFIG", config.toString());
        pb.redirectErrorStream(true).redirectOutput(tmp.resolve("daemon.out").toFile());
        Process p = pb.start();
        processes.add(p);
        Path stateDir = org.imageless.runtime.config.NodeConfig.load(config).stateDir();
        for (int i = 0; i < 300; i++) {
            if (RuntimeDaemon.livePid(stateDir.resolve(RuntimeDaemon.PID_FILE)).orElse(-1L) == p.pid()) {
                return p;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the daemon did not start: " + Files.readString(tmp.resolve("daemon.out")));
    }

    Launcher.Run runtime(Launcher launcher, String... args) throws Exception {
        return runc.run(launcher, args);
    }

    String runToCompletion(Launcher launcher, Path bundle, String id) throws Exception {
        return runc.runToCompletion(launcher, bundle, id).outNow();
    }

    String logText() throws IOException {
        return runc.logText();
    }

    List<String> javaCalls() throws IOException {
        return Files.exists(javaCalls) ? Files.readAllLines(javaCalls) : List.of();
    }

    Path bundle(String name, List<String> args) throws IOException {
        return Bundles.write(tmp.resolve("bundles/" + name), args, Bundles.container(name, Map.of("flox.dev/environment", "acme/web")),
                List.of());
    }

    static final List<String> SHOW = List.of("sh", "-c", "echo FLOX_ENV=$FLOX_ENV; echo PATH=$PATH; echo GREETING=$GREETING; "
            + "ls /nix/store; tools-hello");

    @Test
    void createStartAndExecThroughTheDaemonStartNoJvmAndGiveTheSameResultsAsWithout() throws Exception {
        String withoutDaemon = runToCompletion(withJvm, bundle("plain", SHOW), "plain-1");
        daemon();

        String throughDaemon = runToCompletion(noJvm, bundle("served", SHOW), "served-1");

        assertThat(javaCalls()).isEmpty();
        assertThat(throughDaemon).isEqualTo(withoutDaemon).contains("GREETING=hello from vars").contains("tools-hello");
        Path long1 = bundle("long", List.of("sleep", "30"));
        assertThat(runtime(noJvm, "create", "--bundle", long1.toString(), "long-1").exitCode()).as(logText()).isZero();
        runc.started("long-1");
        assertThat(runtime(noJvm, "start", "long-1").exitCode()).isZero();
        Path process = Files.writeString(tmp.resolve("process.json"), """
                {"terminal": false, "user": {"uid": 0, "gid": 0}, "cwd": "/",
                 "args": ["sh", "-c", "echo FLOX_ENV=$FLOX_ENV; echo GREETING=$GREETING; tools-hello"],
                 "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}
                """);
        Launcher.Run exec = runtime(noJvm, "exec", "--process", process.toString(), "long-1");
        assertThat(exec.exitCode()).as(logText() + exec.stderr()).isZero();
        assertThat(exec.stdout()).contains("FLOX_ENV=/nix/store/").contains("GREETING=hello from vars").contains("tools-hello");
        assertThat(javaCalls()).isEmpty();
        assertThat(logText()).doesNotContain("\"level\":\"error\"");
    }

    @Test
    void concurrentCreatesAreServedByOneDaemonAtOnce() throws Exception {
        daemon();
        int n = 6;
        List<Future<Launcher.Run>> runs = new ArrayList<>();
        try (var pool = Executors.newFixedThreadPool(n)) {
            for (int i = 0; i < n; i++) {
                Path b = bundle("app" + i, List.of("sh", "-c", "echo GREETING=$GREETING"));
                String id = "par-" + i;
                runc.started(id);
                runs.add(pool.submit(() -> runtime(noJvm, "create", "--bundle", b.toString(), id)));
            }
        }
        for (int i = 0; i < n; i++) {
            assertThat(runs.get(i).get().exitCode()).as(logText()).isZero();
            assertThat(Files.readString(tmp.resolve("bundles/app" + i + "/config.json"))).contains("FLOX_ENV=/nix/store/");
            assertThat(state.resolve("containers/par-" + i + "/activation.json")).exists();
        }
        assertThat(javaCalls()).isEmpty();
    }

    @Test
    void moreConcurrentCallsThanReplySlotsEachGetTheirOwnAnswer() throws Exception {
        daemon();
        int n = RuntimeDaemon.SLOTS + 8;
        List<Future<Launcher.Run>> runs = new ArrayList<>();
        try (var pool = Executors.newFixedThreadPool(n)) {
            for (int i = 0; i < n; i++) {
                // one in five names an environment that exists: its answer is 0, every other one's is 1
                String env = i % 5 == 0 ? "acme/web" : "acme/missing-" + i;
                Path b = Bundles.write(tmp.resolve("bundles/slot" + i), List.of("sh", "-c", "exit 0"), Bundles.container("slot" + i,
                        Map.of("flox.dev/environment", env)), List.of());
                String id = "slot-" + i;
                runc.started(id);
                runs.add(pool.submit(() -> runtime(noJvm, "create", "--bundle", b.toString(), id)));
            }
        }
        for (int i = 0; i < n; i++) {
            Launcher.Run r = runs.get(i).get();
            String config = Files.readString(tmp.resolve("bundles/slot" + i + "/config.json"));
            if (i % 5 == 0) {
                assertThat(r.exitCode()).as("slot-%d: %s", i, logText()).isZero();
                assertThat(config).contains("FLOX_ENV=/nix/store/");
            } else {
                assertThat(r.exitCode()).as("slot-%d", i).isNotZero();
                assertThat(config).doesNotContain("FLOX_ENV");
            }
        }
        String log = logText();
        for (int i = 0; i < n; i++) {
            if (i % 5 != 0) {
                // refused for its own environment, not for a lost answer
                assertThat(log).containsPattern("acme/missing-" + i + "[^0-9]");
            }
        }
        assertThat(log).doesNotContain("flox-container-runtime daemon");
        assertThat(journal.toString()).doesNotContain("ended before it opened").doesNotContain("went away");
        assertThat(javaCalls()).isEmpty();
        assertEverySlotIsFreed();
    }

    /** Every reply slot is freed again once its launcher is done (within 5 s). */
    void assertEverySlotIsFreed() throws Exception {
        Path replies = state.resolve(RuntimeDaemon.REPLIES);
        for (int i = 0; i < 500 && !locks(replies).isEmpty(); i++) {
            Thread.sleep(10);
        }
        StringBuilder why = new StringBuilder();
        for (Path lock : locks(replies)) {
            String holder = Files.readString(lock).strip();
            why.append(lock.getFileName()).append(" claimed by pid ").append(holder).append(": ")
                    .append(ProcessHandle.of(Long.parseLong(holder)).map(h -> "alive, " + h.info().commandLine().orElse("?")).orElse("gone"))
                    .append('\n');
        }
        try (var left = Files.list(replies)) {
            assertThat(left.map(p -> p.getFileName().toString())).as("%sjournal:%n%s", why, journal)
                    .allMatch(name -> name.matches("slot-[0-9]+"));
        }
    }

    static List<Path> locks(Path replies) throws IOException {
        try (var all = Files.list(replies)) {
            return all.filter(p -> p.toString().endsWith(".lock")).toList();
        }
    }

    @Test
    void whatStillHoldsASlotsFifoNeverMeetsTheNextLaunchersAnswer() throws Exception {
        // A slot is freed as soon as its answer is written. Its reader may still hold the FIFO, and so may a
        // process that copied the daemon's descriptor when it was forked (the JVM closes them only in the
        // child, after the fork): the next launcher on that slot must still wait for, and get, its own answer.
        daemon();
        long pid = ProcessHandle.current().pid();
        // RuntimeDaemon.ask, below, tries slot (pid % SLOTS) first
        Path slot = claimSlot((int) (pid % RuntimeDaemon.SLOTS), pid);
        Path lock = slot.resolveSibling(slot.getFileName() + ".lock");
        Path log = tmp.resolve("held-log.json");

        try (BufferedReader first = readEnd(slot);
                RandomAccessFile copiedWriter = new RandomAccessFile(slot.toFile(), "rw")) {
            request(slot, bundle("held", SHOW), "held-1", pid);
            assertThat(first.readLine()).isEqualTo("0");
            for (int i = 0; i < 500 && Files.exists(lock); i++) {
                Thread.sleep(10);
            }
            assertThat(lock).as("freed once the answer is written").doesNotExist();
            // the next call on the slot, while both still hold the FIFO the first answer came through and the
            // first reader waits for more
            Future<String> more = Executors.newVirtualThreadPerTaskExecutor().submit(first::readLine);
            Path bad = bundle("held-bad", List.of("echoip"));
            assertThat(RuntimeDaemon.ask(state, nodeToml, "create", log.toString(), bad.toString(), "held-2")).isEqualTo(1);
            copiedWriter.close();
            assertThat(more.get(10, TimeUnit.SECONDS)).as("nothing more for the first reader").isNull();
        }
        assertThat(state.resolve("containers/held-1/activation.json")).exists();
        assertThat(Files.readString(log)).contains("command 'echoip' is not in environment acme/web:1");
        assertThat(journal.toString()).isEmpty();
        assertEverySlotIsFreed();
    }

    @Test
    void theDaemonAnswersOnASlotWithoutWaitingForItsReaderWhoStillGetsTheAnswerLater() throws Exception {
        daemon();
        Path slot = claimSlot(5, ProcessHandle.current().pid());
        try (BufferedReader in = readEnd(slot)) {
            request(slot, bundle("slow", SHOW), "slow-1", ProcessHandle.current().pid());
            // answered (and the slot freed) while nothing reads yet
            assertEverySlotIsFreed();
            Thread.sleep(500);
            assertThat(in.readLine()).isEqualTo("0");
        }
        assertThat(state.resolve("containers/slow-1/activation.json")).exists();
    }

    @Test
    void aLauncherThatEndsBeforeItsAnswerHasItDroppedAndItsSlotServesTheNext() throws Exception {
        daemon();
        Path slot = claimSlot(6, ProcessHandle.current().pid());
        // the launcher opens the slot, asks, and is gone before the answer
        readEnd(slot).close();
        request(slot, bundle("gone", SHOW), "gone-1", ProcessHandle.current().pid());

        assertEverySlotIsFreed();
        assertThat(journal.toString()).isEmpty();
        Path next = claimSlot(6, ProcessHandle.current().pid());
        try (BufferedReader in = readEnd(next)) {
            request(next, bundle("next", SHOW), "next-1", ProcessHandle.current().pid());
            assertThat(in.readLine()).isEqualTo("0");
        }
        assertEverySlotIsFreed();
    }

    @Test
    void aRequestOfAnotherVersionOnASlotIsAnswered126AndFreesItsSlot() throws Exception {
        daemon();
        Path slot = claimSlot(7, ProcessHandle.current().pid());
        try (BufferedReader in = readEnd(slot)) {
            Files.writeString(state.resolve(RuntimeDaemon.FIFO), String.join("\t", "flox-runtime-2", slot.toString(), nodeToml.toString(),
                    "0", "create", "-", "/tmp", "old-1", String.valueOf(ProcessHandle.current().pid())) + "\n", StandardOpenOption.APPEND);
            assertThat(in.readLine()).isEqualTo("126");
        }
        assertThat(journal.toString()).contains("ignored a request that is not 'flox-runtime-3 ");
        assertEverySlotIsFreed();
    }

    @Test
    void aLauncherWithAFifoOfItsOwnThatIsOnlySlowToOpenItStillGetsItsAnswer() throws Exception {
        // (a launcher makes a reply FIFO of its own when all slots are taken: the daemon's open meets its open)
        daemon();
        Process launcher = new ProcessBuilder("sleep", "60").start();
        processes.add(launcher);
        Path own = ownFifo(launcher.pid());
        request(own, bundle("slow-own", SHOW), "slow-own-1", launcher.pid());

        Thread.sleep(RuntimeDaemon.LAUNCHER_CHECK.toMillis() * 4);
        try (BufferedReader in = Files.newBufferedReader(own)) {
            assertThat(in.readLine()).isEqualTo("0");
        }
        assertThat(state.resolve("containers/slow-own-1/activation.json")).exists();
        assertEverySlotIsFreed();
    }

    @Test
    void aLauncherWithAFifoOfItsOwnThatEndsBeforeItOpensItHasItsRequestDropped() throws Exception {
        daemon();
        Process launcher = new ProcessBuilder("true").start();
        launcher.waitFor();
        Path own = ownFifo(launcher.pid());
        request(own, bundle("gone-own", SHOW), "gone-own-1", launcher.pid());

        for (int i = 0; i < 500 && !journal.toString().contains("ended before"); i++) {
            Thread.sleep(10);
        }
        assertThat(journal.toString()).contains("the launcher (pid " + launcher.pid() + ") of 'create gone-own-1' ended before it opened "
                + "its reply FIFO " + own + "; the request is dropped");
        assertThat(state.resolve("containers/gone-own-1")).doesNotExist();
        assertEverySlotIsFreed();
    }

    @Test
    void aRequestThatOutlastsItsLaunchersWaitIsAnswered137AndTheCallFailsSayingSo() throws Exception {
        try (ServerSocket blackHole = blackHole()) {
            Path slow = RuntimeFixture.nodeConfig(tmp.resolve("slow"), java.net.URI.create("http://127.0.0.1:" + blackHole.getLocalPort()),
                    hub.publicKey(), "");
            Path slowState = org.imageless.runtime.config.NodeConfig.load(slow).stateDir();
            daemons.add(RuntimeDaemon.start(slowState, new PrintStream(journal, true)));
            Launcher bounded = Launcher.write(tmp.resolve("bin-bounded"), tmp.resolve("no-java").toString(), slow)
                    .with("FLOX_RUNTIME_DAEMON_TIMEOUT", "2");

            Launcher.Run r = runtime(bounded, "create", "--bundle", bundle("late", List.of("true")).toString(), "late-1");

            assertTheWaitRanOut(r, "late-1");
            assertThat(journal.toString()).contains("'create late-1' took longer than its launcher waits (2 s");
            try (var left = Files.list(slowState.resolve(RuntimeDaemon.REPLIES))) {
                assertThat(left.map(p -> p.getFileName().toString())).allMatch(name -> name.matches("slot-[0-9]+"));
            }
        }
    }

    /** The create of container {@code id} failed after its 2 s wait, saying that the daemon did not answer in time. */
    void assertTheWaitRanOut(Launcher.Run r, String id) throws IOException {
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.millis()).isBetween(1_500L, 15_000L);
        assertThat(r.stdout() + r.stderr()).isEmpty();
        assertThat(Files.readAllLines(runc.log).getLast()).contains("did not answer 'create' of container " + id + " within 2 s")
                .contains("FLOX_RUNTIME_DAEMON_TIMEOUT");
        assertThat(javaCalls()).isEmpty();
    }

    /** A hub that takes connections and never answers (closed with the socket). */
    static ServerSocket blackHole() throws IOException {
        ServerSocket blackHole = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        List<Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    held.add(blackHole.accept());
                }
            } catch (IOException closed) {
                for (Socket s : held) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // test over
                    }
                }
            }
        });
        return blackHole;
    }

    /** Claims reply slot {@code k} for process {@code pid}, as a launcher does. */
    Path claimSlot(int k, long pid) throws IOException {
        Path slot = state.resolve(RuntimeDaemon.REPLIES).resolve("slot-" + k);
        Files.writeString(slot.resolveSibling("slot-" + k + ".lock"), pid + "\n", StandardOpenOption.CREATE_NEW);
        return slot;
    }

    /** A reply FIFO of launcher {@code pid}'s own, as a launcher makes one when all slots are taken. */
    Path ownFifo(long pid) throws IOException {
        Path own = state.resolve(RuntimeDaemon.REPLIES).resolve(pid + ".fifo");
        org.imageless.nix.posix.PosixFiles.mkfifo(own, 0600);
        return own;
    }

    /** A slot's read end, opened as the launcher opens it (before it asks). */
    static BufferedReader readEnd(Path slot) throws IOException {
        return new BufferedReader(new java.io.InputStreamReader(RuntimeDaemon.readEnd(slot), java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** Writes the request line of {@code create} of {@code bundle} as container {@code id}, answered on {@code reply}. */
    void request(Path reply, Path bundle, String id, long pid) throws IOException {
        String line = String.join("\t", RuntimeDaemon.VERSION, reply.toString(), nodeToml.toString(), "0", "600", "create",
                tmp.resolve(id + "-log.json").toString(), bundle.toString(), id, String.valueOf(pid)) + "\n";
        Files.writeString(state.resolve(RuntimeDaemon.FIFO), line, StandardOpenOption.APPEND);
    }

    @Test
    void askMakesTheLaunchersRequestAndGetsItsStatus() throws Exception {
        // the warm-up's way in: a request line, a reply slot, a status, as from the launcher
        daemon();
        Path good = bundle("asked", SHOW);
        Path bad = bundle("asked-bad", List.of("echoip"));
        Path log = tmp.resolve("asked-log.json");

        int served = RuntimeDaemon.ask(state, nodeToml, "create", log.toString(), good.toString(), "asked-1");
        int refused = RuntimeDaemon.ask(state, nodeToml, "create", log.toString(), bad.toString(), "asked-2");

        assertThat(served).as(Files.exists(log) ? Files.readString(log) : "").isZero();
        assertThat(Files.readString(good.resolve("config.json"))).contains("FLOX_ENV=/nix/store/");
        assertThat(state.resolve("containers/asked-1/activation.json")).exists();
        assertThat(refused).isEqualTo(1);
        assertThat(Files.readString(log)).contains("command 'echoip' is not in environment acme/web:1");
        assertThat(javaCalls()).isEmpty();
        assertEverySlotIsFreed();
    }

    @Test
    void aFailedPreparationIsOneJsonErrorLineInTheLogAndANonZeroExit() throws Exception {
        daemon();
        Path b = bundle("bad", List.of("echoip"));

        Launcher.Run create = runtime(noJvm, "create", "--bundle", b.toString(), "bad-1");

        assertThat(create.exitCode()).isNotZero();
        assertThat(create.stdout() + create.stderr()).isEmpty();
        List<String> lines = Files.readAllLines(runc.log);
        assertThat(lines).hasSize(1);
        JsonNode line = JSON.readTree(lines.getFirst());
        assertThat(line.path("level").asText()).isEqualTo("error");
        assertThat(line.path("msg").asText()).startsWith("flox: container 'bad' with acme/web:1")
                .contains("command 'echoip' is not in environment acme/web:1");
        assertThat(runc.exists("bad-1")).isFalse();
        assertThat(javaCalls()).isEmpty();
    }

    @Test
    void aKilledDaemonMakesTheLauncherStartItsOwnJvmAgain() throws Exception {
        Process daemon = daemonProcess(nodeToml);
        assertThat(runtime(noJvm, "create", "--bundle", bundle("one", List.of("sh", "-c", "true")).toString(), "k-1").exitCode())
                .as(logText()).isZero();
        runc.started("k-1");
        assertThat(javaCalls()).isEmpty();

        daemon.destroyForcibly().waitFor();
        Launcher.Run fallback = runtime(withJvm, "create", "--bundle", bundle("two", List.of("sh", "-c", "true")).toString(), "k-2");

        assertThat(fallback.exitCode()).as(logText()).isZero();
        runc.started("k-2");
        assertThat(fallback.millis()).isLessThan(30_000);
        assertThat(Files.readString(tmp.resolve("bundles/two/config.json"))).contains("FLOX_ENV=/nix/store/");
    }

    @Test
    void aDaemonKilledWhilePreparingFailsTheCallAtOnceWithALineSayingSo() throws Exception {
        // the daemon's create waits for a hub that never answers
        try (ServerSocket blackHole = blackHole()) {
            Path slow = RuntimeFixture.nodeConfig(tmp.resolve("slow"), java.net.URI.create("http://127.0.0.1:" + blackHole.getLocalPort()),
                    hub.publicKey(), "");
            Process daemon = daemonProcess(slow);
            Launcher launcher = Launcher.write(tmp.resolve("bin-slow"), tmp.resolve("no-java").toString(), slow);
            Path b = bundle("stuck", List.of("true"));
            Future<Launcher.Run> call;
            try (var pool = Executors.newSingleThreadExecutor()) {
                call = pool.submit(() -> runtime(launcher, "create", "--bundle", b.toString(), "stuck-1"));
                Thread.sleep(1500);
                daemon.destroyForcibly().waitFor();
                Launcher.Run r = call.get(20, TimeUnit.SECONDS);
                assertThat(r.exitCode()).isNotZero();
                assertThat(r.stdout() + r.stderr()).isEmpty();
                assertThat(Files.readAllLines(runc.log).getLast()).contains("\"level\":\"error\"")
                        .contains("daemon (pid " + daemon.pid() + ") stopped while it prepared 'create' of container stuck-1");
                assertThat(javaCalls()).isEmpty();
            }
        }
    }

    @Test
    void aDaemonThatDoesNotAnswerFailsTheCallWithinTheBoundAndSaysSo() throws Exception {
        // a live pid and a FIFO nobody reads, and no reply slots: the launcher makes a FIFO of its own and
        // bounds its wait itself; the request is written, no answer ever comes
        Files.createDirectories(state.resolve(RuntimeDaemon.REPLIES));
        new ProcessBuilder("mkfifo", state.resolve(RuntimeDaemon.FIFO).toString()).start().waitFor();
        Files.writeString(state.resolve(RuntimeDaemon.PID_FILE), ProcessHandle.current().pid() + "\n");
        Launcher bounded = noJvm.with("FLOX_RUNTIME_DAEMON_TIMEOUT", "2");

        Launcher.Run r = runtime(bounded, "create", "--bundle", bundle("mute", List.of("true")).toString(), "mute-1");

        assertTheWaitRanOut(r, "mute-1");
        assertThat(state.resolve(RuntimeDaemon.REPLIES)).isEmptyDirectory();
    }

    @Test
    void aPidFileWhosePidNoLongerHoldsTheFifoIsNotUsed() throws Exception {
        // the daemon died without removing its files and its pid now belongs to another process (here: this JVM,
        // whose descriptor 0 is not the FIFO): the launcher sees it at once and runs its own JVM
        Files.createDirectories(state.resolve(RuntimeDaemon.REPLIES));
        new ProcessBuilder("mkfifo", state.resolve(RuntimeDaemon.FIFO).toString()).start().waitFor();
        Files.writeString(state.resolve(RuntimeDaemon.PID_FILE), ProcessHandle.current().pid() + " 0\n");

        Launcher.Run r = runtime(noJvm.with("FLOX_RUNTIME_DAEMON_TIMEOUT", "60"), "create", "--bundle",
                bundle("stale", List.of("true")).toString(), "stale-1");

        assertThat(r.millis()).isLessThan(10_000L);
        assertThat(javaCalls()).hasSize(1); // the launcher's own JVM (here: the failing stand-in) ran
        assertThat(logText()).contains("could not run its Java part");
        assertThat(state.resolve(RuntimeDaemon.REPLIES)).isEmptyDirectory();
    }

    @Test
    void aStoppedDaemonRemovesItsPidFileAndFifoSoLaunchersUseTheirOwnJvm() throws Exception {
        RuntimeDaemon d = daemon();
        assertThat(d.pidFile()).content().matches(ProcessHandle.current().pid() + " [0-9]+\n");
        d.close();
        assertThat(d.pidFile()).doesNotExist();
        assertThat(d.fifo()).doesNotExist();
        Launcher.Run r = runtime(noJvm, "create", "--bundle", bundle("after", List.of("true")).toString(), "after-1");
        assertThat(r.exitCode()).isNotZero();
        assertThat(javaCalls()).hasSize(1); // the launcher's own JVM (here: the failing stand-in) ran
        assertThat(logText()).contains("could not run its Java part");
    }
}
