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
import java.util.concurrent.atomic.AtomicBoolean;
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
 * {@code state_dir/replies/slot-K}, made afresh at each start. A launcher claims a slot by creating
 * {@code slot-K.lock} exclusively (or, when all are taken, makes a reply FIFO of its own), then writes
 * one request line, shorter than {@code PIPE_BUF} so that lines of concurrent launchers never interleave:
 * <pre>
 *   flox-runtime-2 TAB REPLY-FIFO TAB NODE-CONFIG TAB TIMINGS(0|1) TAB create|exec TAB LOG TAB ARG TAB ARG TAB PID
 * </pre>
 * (the per-call main's arguments, see {@link ContainerRuntime}, the environment that matters to it,
 * and the launcher's pid). The daemon opens the reply FIFO for writing (the open meets the
 * launcher's open for reading: from then on the request is the daemon's; it waits as long as the
 * launcher lives, and drops the request once it is gone), runs exactly what the per-call main
 * runs, in a virtual thread, and writes the exit status as one line. Then it puts a new FIFO in the
 * slot's place and frees the slot (removes the lock): the launcher reads its status from the FIFO
 * it opened, and nothing that still holds that one (the launcher, a child of it, or a process that
 * copied the daemon's descriptor when it was forked) can meet the next launcher's open or answer.
 * Failures go to the request's LOG as one JSON line, as without a daemon. If the daemon dies after
 * it took a request, the launcher reads end-of-file without a status and fails with a message
 * saying so.
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
    public static final String VERSION = "flox-runtime-2";
    /** Reply FIFOs the daemon keeps ready ({@code replies/slot-K}); a launcher claims one with {@code slot-K.lock}. */
    static final int SLOTS = 32;
    private static final java.util.regex.Pattern SLOT = java.util.regex.Pattern.compile("slot-[0-9]+");
    private static final java.util.regex.Pattern PID = java.util.regex.Pattern.compile("[0-9]{1,10}");
    /** How long a stopping daemon gives the activation reports it still holds. */
    static final Duration REPORTS_AT_STOP = Duration.ofSeconds(5);
    /** How often the daemon looks whether a launcher that has not opened its reply FIFO yet still lives. */
    static final Duration LAUNCHER_CHECK = Duration.ofMillis(500);

    private final Path stateDir;
    private final Path fifo;
    private final Path pidFile;
    private final PrintStream journal;
    private final boolean debug;
    private final RandomAccessFile channel;
    private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread reader;

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
        makeSlots(stateDir.resolve(REPLIES));
        // read-write: the daemon is a writer too, so the FIFO never reaches end-of-file between launchers,
        // and a launcher's write never blocks while the daemon lives
        channel = new RandomAccessFile(fifo.toFile(), "rw");
        Path tmp = stateDir.resolve("." + PID_FILE + ".tmp");
        // "PID FD": launchers check that the process with this pid holds the FIFO at that descriptor
        Files.writeString(tmp, ProcessHandle.current().pid() + descriptorOf(ProcessHandle.current().pid(), fifo).map(fd -> " " + fd).orElse("") + "\n");
        Files.move(tmp, pidFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        reader = Thread.ofPlatform().name("flox-runtime-requests").start(this::readRequests);
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
            reader.join();
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

    private void readRequests() {
        try {
            BufferedReader in = new BufferedReader(new InputStreamReader(new FileInputStream(channel.getFD()), StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    if (closed.get()) {
                        break; // close()'s wake-up line: every request written before it was taken
                    }
                    continue;
                }
                String request = line;
                requests.execute(() -> handle(request));
            }
        } catch (IOException e) {
            if (!closed.get()) {
                journal.println("flox-container-runtime daemon: reading " + fifo + " failed, stopping: " + e);
            }
        }
    }

    private void handle(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 9 || !f[0].equals(VERSION) || !(f[4].equals("create") || f[4].equals("exec"))
                || !PID.matcher(f[8]).matches()) {
            journal.println("flox-container-runtime daemon: ignored a request that is not '" + VERSION
                    + " REPLY CONFIG TIMINGS create|exec LOG ARG ARG PID' (" + f.length + " fields; a launcher of another version?)");
            return;
        }
        Path reply = Path.of(f[1]);
        if (!reply.isAbsolute() || !isFifo(reply)) {
            journal.println("flox-container-runtime daemon: ignored a request whose reply FIFO " + reply + " does not exist");
            return;
        }
        boolean slot = reply.getParent().equals(stateDir.resolve(REPLIES)) && SLOT.matcher(reply.getFileName().toString()).matches();
        OutputStream out = openReply(reply, Long.parseLong(f[8]));
        if (out == null) {
            if (slot) {
                renewSlot(reply); // its launcher is gone
            } else {
                try {
                    Files.deleteIfExists(reply);
                } catch (IOException ignored) {
                    // stays until the launcher's pid comes round again (it removes a stale one then)
                }
            }
            journal.println("flox-container-runtime daemon: the launcher (pid " + f[8] + ") of '" + f[4] + " " + f[7]
                    + "' ended before it opened its reply FIFO " + reply + "; the request is dropped");
            return;
        }
        long t0 = System.nanoTime();
        int rc = 1;
        try {
            if (!slot) {
                try {
                    Files.deleteIfExists(reply); // both ends are open: the name is no longer needed
                } catch (IOException ignored) {
                    // the launcher removes it
                }
            }
            Map<String, String> env = f[3].equals("1")
                    ? Map.of(NodeConfig.ENV, f[2], ContainerRuntime.RESIDENT, "1", ContainerRuntime.TIMINGS, "1")
                    : Map.of(NodeConfig.ENV, f[2], ContainerRuntime.RESIDENT, "1");
            try {
                rc = ContainerRuntime.run(new String[] {f[4], f[5], f[6], f[7]}, env);
            } catch (Throwable e) {
                // ContainerRuntime.run logs what it expects; anything else still gets a line and a status
                new RuntimeLog(f[5].equals("-") ? null : Path.of(f[5])).error("flox: internal error of the runtime daemon: " + e);
                journal.println("flox-container-runtime daemon: internal error in '" + f[4] + " " + f[7] + "': " + e);
                rc = 1;
            }
            out.write((rc + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            journal.println("flox-container-runtime daemon: the launcher (pid " + f[8] + ") of '" + f[4] + " " + f[7]
                    + "' went away before its answer (" + rc + "): " + e.getMessage());
        }
        closeQuietly(out);
        if (slot) {
            renewSlot(reply);
        }
        if (debug) {
            journal.printf("flox-container-runtime daemon: %s %s -> %d in %d ms%n", f[4], f[7], rc, (System.nanoTime() - t0) / 1_000_000);
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
        String line = String.join("\t", VERSION, slot.toString(), config.toString(), "0", args[0], args[1], args[2], args[3],
                String.valueOf(pid)) + "\n";
        try (FileOutputStream out = new FileOutputStream(stateDir.resolve(FIFO).toFile())) {
            out.write(line.getBytes(StandardCharsets.UTF_8));
        }
        // the open meets the daemon's (it took the request)
        try (BufferedReader in = Files.newBufferedReader(slot, StandardCharsets.US_ASCII)) {
            String status = in.readLine();
            if (status == null || !status.matches("[0-9]{1,3}")) {
                throw new IOException("the daemon serving " + stateDir + " took '" + args[0] + " " + args[3] + "' and gave no status");
            }
            return Integer.parseInt(status);
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
     * Makes the reply slots afresh: new FIFOs (a launcher of an earlier daemon still waiting on an old
     * one is never answered by this daemon) and no claims.
     */
    private static void makeSlots(Path replies) throws IOException {
        for (int k = 0; k < SLOTS; k++) {
            Path slot = replies.resolve("slot-" + k);
            Files.deleteIfExists(slot);
            Files.deleteIfExists(lockOf(slot));
            PosixFiles.mkfifo(slot, 0600);
        }
    }

    private static Path lockOf(Path slot) {
        return slot.resolveSibling(slot.getFileName() + ".lock");
    }

    private static void closeQuietly(OutputStream out) {
        try {
            out.close();
        } catch (IOException ignored) {
            // a pipe whose reader has gone: nothing was buffered
        }
    }

    /**
     * Puts a new FIFO in {@code slot}'s place (made aside, then renamed over it: a launcher finds
     * either FIFO, never none), then frees the slot.
     */
    private void renewSlot(Path slot) {
        try {
            Path next = slot.resolveSibling(slot.getFileName() + ".next");
            Files.deleteIfExists(next);
            PosixFiles.mkfifo(next, 0600);
            Files.move(next, slot, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.deleteIfExists(lockOf(slot));
        } catch (IOException e) {
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
        try {
            // wakes the reader; requests still in the FIFO are taken before it sees this
            channel.write("\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException ignored) {
            // closed below anyway
        }
        try {
            reader.join(Duration.ofSeconds(5));
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
