package org.imageless.runtime;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;
import org.imageless.nix.posix.PosixFiles;
import org.imageless.runtime.config.NodeConfig;

/**
 * Resident mode of {@code flox-container-runtime}: one long-running JVM per node that prepares
 * {@code create} and {@code exec} for the launcher, which then starts no JVM of its own.
 *
 * <p>Protocol (the launcher is POSIX sh, so: FIFOs and lines). The daemon owns
 * {@code state_dir/runtime.fifo} (mode 0600, opened read-write so that it never sees end-of-file),
 * {@code state_dir/runtime.pid} ({@code PID FD}: FD is the daemon's descriptor of the FIFO, so that a
 * launcher can tell the daemon from a process that got its pid later) and {@value #SLOTS} reply FIFOs
 * {@code state_dir/replies/slot-K}, made afresh at each start and each held open by the daemon, for
 * reading and writing, until it answers through it. A launcher claims a slot by creating
 * {@code slot-K.lock} exclusively and opens the slot's FIFO for reading before it asks: that open
 * never waits, and from then on the daemon is the FIFO's only writer. Then it writes one request line,
 * shorter than {@code PIPE_BUF} so that lines of concurrent launchers never interleave:
 * <pre>
 *   flox-runtime-3 TAB REPLY-FIFO TAB NODE-CONFIG TAB TIMINGS(0|1) TAB WAIT-S TAB create|exec TAB LOG TAB ARG TAB ARG TAB PID
 * </pre>
 * (the per-call main's arguments, see {@link ContainerRuntime}, the environment that matters to it,
 * how long the launcher waits, and its pid). The daemon runs exactly what the per-call main runs, on
 * the thread that read the request (another one reads on meanwhile), writes the exit status as one
 * line into the slot's FIFO and closes it: it never
 * waits for a launcher, and the answer of a launcher that has gone is simply dropped with the FIFO.
 * Then it puts a new FIFO, held as before, in the slot's place and frees the slot (removes the lock):
 * nothing that still holds the answered FIFO (the launcher, a child of it, or a process that copied the
 * daemon's descriptor when it was forked) can meet the next launcher's answer. If the daemon dies, its
 * descriptors close and the launcher reads end-of-file without a status; if a request takes longer
 * than WAIT-S, the daemon answers 137 (the launcher says it did not answer in time) and drops the
 * request's late result. Either way the launcher fails with a message saying so, and runs no program
 * of its own on the way to the answer.
 *
 * <p>When all slots are taken, a launcher makes a reply FIFO of its own and asks the same way; the
 * daemon then opens that FIFO for writing, which meets the launcher's open for reading and waits as
 * long as the launcher lives (it drops the request once it is gone), and removes its name. That
 * launcher bounds its wait itself. Failures go to the request's LOG as one JSON line, as without a
 * daemon.
 *
 * <p>The daemon's own messages (start, stop, malformed requests, internal errors) go to its stderr
 * (the journal under systemd); request outcomes are not logged there unless {@code FLOX_RUNTIME_DEBUG}
 * is set, and never any token (requests carry none).
 */
public final class RuntimeDaemon implements AutoCloseable {

    public static final String FIFO = "runtime.fifo";
    public static final String PID_FILE = "runtime.pid";
    /** Where launchers make their reply FIFOs. */
    public static final String REPLIES = "replies";
    public static final String VERSION = "flox-runtime-3";
    /** Reply FIFOs the daemon keeps ready ({@code replies/slot-K}); a launcher claims one with {@code slot-K.lock}. */
    static final int SLOTS = 32;
    private static final java.util.regex.Pattern SLOT = java.util.regex.Pattern.compile("slot-([0-9]{1,3})");
    private static final java.util.regex.Pattern PID = java.util.regex.Pattern.compile("[0-9]{1,10}");
    private static final java.util.regex.Pattern WAIT = java.util.regex.Pattern.compile("[1-9][0-9]{0,6}");
    /** How long a stopping daemon gives the activation reports it still holds. */
    static final Duration REPORTS_AT_STOP = Duration.ofSeconds(5);
    /** How often the daemon looks whether a launcher that has not opened its reply FIFO yet still lives. */
    static final Duration LAUNCHER_CHECK = Duration.ofMillis(500);
    /** Request threads that wait for the next request while none is served. */
    static final int IDLE_READERS = 2;
    /** How long {@link #ask} waits, as the launcher does by default. */
    static final Duration ASK_WAIT = Duration.ofSeconds(600);

    private final Path stateDir;
    private final Path fifo;
    private final Path pidFile;
    private final PrintStream journal;
    private final boolean debug;
    private final RandomAccessFile channel;
    /**
     * Platform threads that take turns at reading requests: the one that reads a request serves it
     * itself, while another reads on (so no hand-over to a thread that has to wake up lies between a
     * request and its work).
     */
    private final ExecutorService requests = Executors.newCachedThreadPool(Thread.ofPlatform().name("flox-runtime-requests-", 0).factory());
    private final ReentrantLock readTurn = new ReentrantLock();
    /** Request threads waiting for, or taking, their turn to read. */
    private final AtomicInteger readers = new AtomicInteger();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final BufferedReader in;
    /** Each reply slot's FIFO, held open read-write until a request takes it (then null until renewed). */
    private final AtomicReferenceArray<RandomAccessFile> held = new AtomicReferenceArray<>(SLOTS);
    /** Answers 137 for requests that outlast their launcher's wait. */
    private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("flox-runtime-deadlines").daemon().factory());
    private final AtomicBoolean closed = new AtomicBoolean();

    private RuntimeDaemon(Path stateDir, PrintStream journal, boolean debug) throws IOException {
        this.stateDir = stateDir;
        this.fifo = stateDir.resolve(FIFO);
        this.pidFile = stateDir.resolve(PID_FILE);
        this.journal = journal;
        this.debug = debug;
        Files.createDirectories(stateDir.resolve(REPLIES));
        Optional<Long> other = livePid(pidFile);
        if (other.isPresent() && other.get() != ProcessHandle.current().pid()) {
            throw new IllegalStateException(anotherDaemon(other.get(), stateDir));
        }
        Files.deleteIfExists(fifo);
        PosixFiles.mkfifo(fifo, 0600);
        makeSlots();
        // read-write: the daemon is a writer too, so the FIFO never reaches end-of-file between launchers,
        // and a launcher's write never blocks while the daemon lives
        channel = new RandomAccessFile(fifo.toFile(), "rw");
        Path tmp = stateDir.resolve("." + PID_FILE + ".tmp");
        // "PID FD": launchers check that the process with this pid holds the FIFO at that descriptor
        Files.writeString(tmp, ProcessHandle.current().pid() + descriptorOf(ProcessHandle.current().pid(), fifo).map(fd -> " " + fd).orElse("") + "\n");
        Files.move(tmp, pidFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        in = new BufferedReader(new InputStreamReader(new FileInputStream(channel.getFD()), StandardCharsets.UTF_8));
        for (int i = 0; i < IDLE_READERS; i++) {
            requests.execute(this::serveRequests);
        }
    }

    private static String anotherDaemon(long pid, Path stateDir) {
        return "another flox-container-runtime daemon (pid " + pid + ") serves " + stateDir + " already: stop it first "
                + "(systemctl stop flox-runtime), or remove " + stateDir.resolve(PID_FILE) + " if that process is something else";
    }

    /**
     * Starts serving {@code stateDir}: makes the FIFO, writes the pid file (launchers use the daemon
     * from then on) and reads requests on a thread of its own until {@link #close()}.
     */
    public static RuntimeDaemon start(Path stateDir, PrintStream journal) throws IOException {
        return new RuntimeDaemon(stateDir, journal, System.getenv("FLOX_RUNTIME_DEBUG") != null);
    }

    /** Container starts the daemon runs for its warm-up unless told otherwise ({@link #serve}). */
    public static final int DEFAULT_WARM_UP = 300;

    /** {@code flox-container-runtime serve [--warm-up N]}: {@link #serve} with node.toml from the environment. */
    static int main(String[] args, Map<String, String> env) {
        int warmUp = DEFAULT_WARM_UP;
        if (args.length == 3 && args[1].equals("--warm-up") && args[2].matches("[0-9]{1,6}")) {
            warmUp = Integer.parseInt(args[2]);
        } else if (args.length != 1) {
            System.err.println("usage: flox-container-runtime serve [--warm-up N]   (node.toml from " + NodeConfig.ENV + " or "
                    + NodeConfig.DEFAULT_FILE + ")");
            return 2;
        }
        return serve(NodeConfig.file(env), System.err, env.get("FLOX_RUNTIME_DEBUG") != null, warmUp);
    }

    /**
     * Serves the state directory of node configuration {@code configFile} until SIGTERM/SIGINT,
     * then finishes the requests it took and returns 0; 1 (with the reason on {@code journal}) when
     * it cannot start. With {@code debug}, each request's outcome and duration go to the journal.
     * First it runs {@code warmUp} training starts ({@link AotTraining#warmUp}), before its pid file
     * tells launchers that it serves: until then they start JVMs of their own, as without a daemon.
     */
    public static int serve(Path configFile, PrintStream journal, boolean debug, int warmUp) {
        RuntimeDaemon daemon;
        try {
            NodeConfig config = NodeConfig.load(configFile);
            if (warmUp > 0) {
                Optional<Long> other = livePid(config.stateDir().resolve(PID_FILE));
                if (other.isPresent()) {
                    throw new IllegalStateException(anotherDaemon(other.get(), config.stateDir()));
                }
                try {
                    journal.println("flox-container-runtime daemon: warmed up with " + warmUp + " training starts in "
                            + AotTraining.warmUp(warmUp).toMillis() + " ms");
                } catch (IOException | RuntimeException e) {
                    // a slower first few starts, nothing worse
                    journal.println("flox-container-runtime daemon: the warm-up failed, serving without it: " + e);
                }
            }
            daemon = new RuntimeDaemon(config.stateDir(), journal, debug);
            journal.println("flox-container-runtime daemon: pid " + ProcessHandle.current().pid() + " serves "
                    + config.stateDir().resolve(FIFO) + " (" + configFile + ")");
        } catch (Exception e) {
            journal.println("flox-container-runtime daemon: cannot start: " + (e.getMessage() == null ? e : e.getMessage()));
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(daemon::close));
        daemon.await();
        return 0;
    }

    /** Waits until the daemon is closed. */
    public void await() {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public Path fifo() {
        return fifo;
    }

    public Path pidFile() {
        return pidFile;
    }

    /**
     * A request thread: reads one request when its turn comes, and serves it. If no other thread is
     * waiting to read meanwhile, it starts one first; once served, it stays for the next turn unless
     * {@value #IDLE_READERS} others wait already.
     */
    private void serveRequests() {
        while (true) {
            String line;
            readers.incrementAndGet();
            readTurn.lock();
            try {
                line = in.readLine();
            } catch (IOException e) {
                if (!closed.get()) {
                    journal.println("flox-container-runtime daemon: reading " + fifo + " failed, stopping: " + e);
                }
                line = null;
            } finally {
                readers.decrementAndGet();
                readTurn.unlock();
            }
            if (line == null || line.isEmpty() && closed.get()) {
                // close()'s wake-up line (every request written before it was taken), passed on to the next reader
                wakeUpReader();
                stopped.countDown();
                return;
            }
            if (line.isEmpty()) {
                continue;
            }
            if (readers.get() == 0) {
                try {
                    requests.execute(this::serveRequests);
                } catch (java.util.concurrent.RejectedExecutionException stopping) {
                    // close() stopped taking requests: this one is still served
                }
            }
            try {
                handle(line);
            } catch (RuntimeException e) {
                journal.println("flox-container-runtime daemon: internal error serving a request: " + e);
            }
            if (readers.get() >= IDLE_READERS) {
                return;
            }
        }
    }

    /** Writes an empty line into the request FIFO: a reader that takes it after close() stops. */
    private void wakeUpReader() {
        try {
            channel.write("\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException ignored) {
            // closed: nobody reads any more
        }
    }

    private void handle(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 10 || !f[0].equals(VERSION) || !WAIT.matcher(f[4]).matches() || !(f[5].equals("create") || f[5].equals("exec"))
                || !PID.matcher(f[9]).matches()) {
            journal.println("flox-container-runtime daemon: ignored a request that is not '" + VERSION
                    + " REPLY CONFIG TIMINGS WAIT create|exec LOG ARG ARG PID' (" + f.length + " fields; a launcher of another version?)");
            int k = f.length > 1 && f[1].indexOf('\0') < 0 ? slotOf(Path.of(f[1])) : -1;
            RandomAccessFile fifo = k >= 0 ? held.getAndSet(k, null) : null;
            if (fifo != null) {
                answer(k, fifo, 126); // its launcher fails at once, and the slot serves the next
            }
            return;
        }
        org.imageless.runtime.hub.DeferredReports.busy(); // activation reports wait for a quiet node
        Path reply = Path.of(f[1]);
        int slot = slotOf(reply);
        if (slot >= 0) {
            answerOnSlot(slot, f);
        } else {
            answerOnOwnFifo(reply, f);
        }
    }

    /** The index of {@code reply} among this daemon's reply slots, or -1. */
    private int slotOf(Path reply) {
        if (!reply.isAbsolute() || !reply.getParent().equals(stateDir.resolve(REPLIES))) {
            return -1;
        }
        java.util.regex.Matcher m = SLOT.matcher(reply.getFileName().toString());
        if (!m.matches()) {
            return -1;
        }
        int k = Integer.parseInt(m.group(1));
        return k < SLOTS ? k : -1;
    }

    /**
     * Serves a request on reply slot {@code k}: its launcher has the FIFO open already, so the answer
     * goes into the FIFO the daemon holds, whether or not anyone still reads it, at the latest when the
     * request's WAIT has passed (137).
     */
    private void answerOnSlot(int k, String[] f) {
        RandomAccessFile fifo = held.getAndSet(k, null);
        if (fifo == null) {
            journal.println("flox-container-runtime daemon: ignored '" + f[5] + " " + f[8] + "': its reply slot " + k
                    + " is serving another request (a launcher that did not claim it?)");
            return;
        }
        AtomicBoolean answered = new AtomicBoolean();
        long waitS = Long.parseLong(f[4]);
        java.util.concurrent.ScheduledFuture<?> deadline = deadlines.schedule(() -> {
            if (answered.compareAndSet(false, true)) {
                journal.println("flox-container-runtime daemon: '" + f[5] + " " + f[8] + "' took longer than its launcher waits ("
                        + waitS + " s, FLOX_RUNTIME_DAEMON_TIMEOUT): answered 137; its result will be dropped");
                answer(k, fifo, 137);
            }
        }, waitS, TimeUnit.SECONDS);
        long t0 = System.nanoTime();
        int rc = run(f);
        deadline.cancel(false);
        if (answered.compareAndSet(false, true)) {
            answer(k, fifo, rc);
        }
        served(f, rc, t0);
    }

    /** With {@code FLOX_RUNTIME_DEBUG}: the request's outcome and how long it took since {@code t0}, on the journal. */
    private void served(String[] f, int rc, long t0) {
        if (debug) {
            journal.printf("flox-container-runtime daemon: %s %s -> %d in %d ms%n", f[5], f[8], rc, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /** Writes {@code rc} into slot {@code k}'s FIFO, closes it, and puts a new one in its place. */
    private void answer(int k, RandomAccessFile fifo, int rc) {
        try {
            // (the daemon reads this FIFO too: the write never fails or waits for want of a reader)
            fifo.write((rc + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            journal.println("flox-container-runtime daemon: cannot answer on reply slot " + k + " (" + rc + "): " + e.getMessage());
        }
        closeQuietly(fifo);
        renewSlot(k);
    }

    /**
     * Serves a request whose launcher made its own reply FIFO (all slots were taken): the open for
     * writing meets the launcher's open for reading.
     */
    private void answerOnOwnFifo(Path reply, String[] f) {
        if (!reply.isAbsolute() || !isFifo(reply)) {
            journal.println("flox-container-runtime daemon: ignored a request whose reply FIFO " + reply + " does not exist");
            return;
        }
        OutputStream out = openReply(reply, Long.parseLong(f[9]));
        try {
            Files.deleteIfExists(reply); // both ends are open (or the launcher is gone): the name is no longer needed
        } catch (IOException ignored) {
            // the launcher removes it
        }
        if (out == null) {
            journal.println("flox-container-runtime daemon: the launcher (pid " + f[9] + ") of '" + f[5] + " " + f[8]
                    + "' ended before it opened its reply FIFO " + reply + "; the request is dropped");
            return;
        }
        long t0 = System.nanoTime();
        int rc = run(f);
        try {
            out.write((rc + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            journal.println("flox-container-runtime daemon: the launcher (pid " + f[9] + ") of '" + f[5] + " " + f[8]
                    + "' went away before its answer (" + rc + "): " + e.getMessage());
        }
        closeQuietly(out);
        served(f, rc, t0);
    }

    /** Runs the request as the per-call main would, with its environment; its exit status. */
    private int run(String[] f) {
        Map<String, String> env = f[3].equals("1")
                ? Map.of(NodeConfig.ENV, f[2], ContainerRuntime.RESIDENT, "1", ContainerRuntime.TIMINGS, "1")
                : Map.of(NodeConfig.ENV, f[2], ContainerRuntime.RESIDENT, "1");
        try {
            return ContainerRuntime.run(new String[] {f[5], f[6], f[7], f[8]}, env);
        } catch (Throwable e) {
            // ContainerRuntime.run logs what it expects; anything else still gets a line and a status
            new RuntimeLog(f[6].equals("-") ? null : Path.of(f[6])).error("flox: internal error of the runtime daemon: " + e);
            journal.println("flox-container-runtime daemon: internal error in '" + f[5] + " " + f[8] + "': " + e);
            return 1;
        }
    }

    /**
     * One request to the daemon serving {@code stateDir}, made as the launcher makes it (its
     * {@code run_daemon}): claims a reply slot, writes the request line, reads the exit status. The
     * warm-up goes through it, so that the daemon's own part of a start is compiled too.
     *
     * @param args {@code create|exec LOG ARG ARG}, absolute paths
     */
    static int ask(Path stateDir, Path config, String... args) throws IOException {
        long pid = ProcessHandle.current().pid();
        Path replies = stateDir.resolve(REPLIES);
        Path slot = null;
        for (int n = 0; slot == null; n++) {
            Path candidate = replies.resolve("slot-" + (pid + n) % SLOTS);
            try {
                Files.writeString(lockOf(candidate), pid + "\n", StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                slot = candidate;
            } catch (FileAlreadyExistsException e) {
                if (n % SLOTS == SLOTS - 1) {
                    sleep(Duration.ofMillis(1)); // all taken: the daemon frees them as their launchers finish
                }
            }
        }
        String line = String.join("\t", VERSION, slot.toString(), config.toString(), "0", String.valueOf(ASK_WAIT.toSeconds()),
                args[0], args[1], args[2], args[3], String.valueOf(pid)) + "\n";
        try (BufferedReader in = new BufferedReader(new InputStreamReader(readEnd(slot), StandardCharsets.US_ASCII))) {
            try (FileOutputStream out = new FileOutputStream(stateDir.resolve(FIFO).toFile())) {
                out.write(line.getBytes(StandardCharsets.UTF_8));
            }
            String status = in.readLine();
            if (status == null || !status.matches("[0-9]{1,3}")) {
                throw new IOException("the daemon serving " + stateDir + " took '" + args[0] + " " + args[3] + "' and gave no status");
            }
            return Integer.parseInt(status);
        }
    }

    /**
     * The read end of a reply slot's FIFO, opened without waiting: read-write first (a writer exists),
     * then read-only, then the read-write end is closed, so that the daemon is left the only writer.
     * The launcher does the same with redirections.
     */
    static java.io.InputStream readEnd(Path fifo) throws IOException {
        try (RandomAccessFile writer = new RandomAccessFile(fifo.toFile(), "rw")) {
            return new FileInputStream(fifo.toFile());
        }
    }

    private static void sleep(Duration d) throws IOException {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for a reply slot");
        }
    }

    /**
     * Makes the reply slots afresh: new FIFOs, held (a launcher of an earlier daemon still waiting on an
     * old one reads end-of-file, never this daemon's answers), and no claims.
     */
    private void makeSlots() throws IOException {
        for (int k = 0; k < SLOTS; k++) {
            Path slot = slot(k);
            Files.deleteIfExists(slot);
            Files.deleteIfExists(lockOf(slot));
            PosixFiles.mkfifo(slot, 0600);
            held.set(k, new RandomAccessFile(slot.toFile(), "rw"));
        }
    }

    private Path slot(int k) {
        return stateDir.resolve(REPLIES).resolve("slot-" + k);
    }

    private static Path lockOf(Path slot) {
        return slot.resolveSibling(slot.getFileName() + ".lock");
    }

    private static void closeQuietly(java.io.Closeable out) {
        try {
            out.close();
        } catch (IOException ignored) {
            // a pipe: nothing is buffered in the process, whoever still reads it
        }
    }

    /**
     * Puts a new FIFO, held, in slot {@code k}'s place (made aside, then renamed over it: a launcher
     * finds either FIFO, never none), then frees the slot.
     */
    private void renewSlot(int k) {
        Path slot = slot(k);
        RandomAccessFile fifo = null;
        try {
            Path next = slot.resolveSibling(slot.getFileName() + ".next");
            Files.deleteIfExists(next);
            PosixFiles.mkfifo(next, 0600);
            fifo = new RandomAccessFile(next.toFile(), "rw");
            Files.move(next, slot, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            held.set(k, fifo);
            Files.deleteIfExists(lockOf(slot));
        } catch (IOException e) {
            if (fifo != null && held.get(k) != fifo) {
                closeQuietly(fifo);
            }
            journal.println("flox-container-runtime daemon: cannot renew reply slot " + slot + " (it stays claimed): " + e);
        }
    }

    /**
     * Opens {@code reply} for writing, which waits for the launcher's open for reading, for as long
     * as the launcher (process {@code launcher}) lives: a launcher that is only slow gets its answer,
     * however late. Once it is gone, the daemon opens the FIFO for reading itself to end the wait,
     * and gives up (null).
     */
    private static OutputStream openReply(Path reply, long launcher) {
        AtomicBoolean opened = new AtomicBoolean();
        AtomicBoolean gaveUp = new AtomicBoolean();
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                // (looked at only once it is late: nothing of this is on the way of a launcher that is not)
                Thread.sleep(LAUNCHER_CHECK);
                // (a handle knows its process's start time: it is not alive once the pid names another)
                Optional<ProcessHandle> process = ProcessHandle.of(launcher);
                while (process.isPresent() && process.get().isAlive()) {
                    Thread.sleep(LAUNCHER_CHECK);
                }
            } catch (InterruptedException e) {
                return;
            }
            if (!opened.get() && gaveUp.compareAndSet(false, true)) {
                try (FileInputStream ignored = new FileInputStream(reply.toFile())) {
                    // the open ends the daemon's wait
                } catch (IOException e) {
                    // removed meanwhile: the daemon's open failed or succeeded already
                }
            }
        });
        try {
            FileOutputStream out = new FileOutputStream(reply.toFile());
            opened.set(true);
            watchdog.interrupt();
            if (gaveUp.get()) {
                out.close();
                return null;
            }
            return out;
        } catch (IOException e) {
            watchdog.interrupt();
            return null;
        }
    }

    /**
     * Process {@code pid}'s descriptor number of {@code file} (the same device and inode), from
     * {@code /proc/<pid>/fd}; empty when it has none open, or is gone.
     */
    static Optional<Integer> descriptorOf(long pid, Path file) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds) {
                try {
                    if (Files.isSameFile(fd, file)) {
                        return Optional.of(Integer.parseInt(fd.getFileName().toString()));
                    }
                } catch (IOException | NumberFormatException e) {
                    // closed meanwhile (the listing's own descriptor, for one), or not a number: not it
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static boolean isFifo(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isOther();
        } catch (IOException e) {
            return false;
        }
    }

    /** The pid in {@code pidFile} if that process is alive. */
    static Optional<Long> livePid(Path pidFile) {
        try {
            long pid = Long.parseLong(Files.readString(pidFile).strip().split("\\s+")[0]);
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(ProcessHandle::pid);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Stops taking requests (launchers fall back to their own JVM from now on: the pid file and the
     * FIFO are removed first), then waits for the requests already taken.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (livePid(pidFile).orElse(-1L) == ProcessHandle.current().pid()) {
                Files.deleteIfExists(pidFile);
            }
            Files.deleteIfExists(fifo);
        } catch (IOException e) {
            journal.println("flox-container-runtime daemon: cannot remove " + pidFile + " or " + fifo + ": " + e);
        }
        try {
            // launchers that found the daemon alive just before the pid file went write within moments
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // wakes a reader; requests still in the FIFO are taken before it sees this, and each reader that
        // sees it passes it on
        wakeUpReader();
        try {
            stopped.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        requests.shutdown();
        try {
            if (!requests.awaitTermination(10, TimeUnit.MINUTES)) {
                journal.println("flox-container-runtime daemon: requests still running after 10 minutes; stopping anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deadlines.shutdownNow();
        // the slots no request took: a launcher that claimed one just now reads end-of-file and says so
        for (int k = 0; k < SLOTS; k++) {
            RandomAccessFile fifo = held.getAndSet(k, null);
            if (fifo != null) {
                closeQuietly(fifo);
            }
        }
        // the activation reports of the last second's starts, which would otherwise be sent a moment from now
        org.imageless.runtime.hub.DeferredReports.flush(REPORTS_AT_STOP);
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing to do
        }
        journal.println("flox-container-runtime daemon: stopped");
    }
}
