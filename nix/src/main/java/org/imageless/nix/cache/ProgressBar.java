package org.imageless.nix.cache;

import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.imageless.nix.store.StorePath;

/**
 * A one-line progress bar on standard error for NAR transfers (downloads and uploads), redrawn at most ten times a second;
 * silent when standard error is not a terminal (logs and CI stay clean).
 */
public final class ProgressBar implements TransferListener, AutoCloseable {

    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final boolean enabled;
    private final String program;
    private final long startNanos = System.nanoTime();
    private final Map<StorePath, Long> expected = new ConcurrentHashMap<>();
    private final Map<StorePath, Long> done = new ConcurrentHashMap<>();
    private final AtomicInteger finished = new AtomicInteger();
    private final AtomicLong lastDraw = new AtomicLong();

    private ProgressBar(PrintStream out, boolean enabled, String program) {
        this.out = out;
        this.enabled = enabled;
        this.program = program;
    }

    /**
     * Draws on standard error when the process has a terminal; otherwise does nothing.
     * {@code program} prefixes the retry lines ({@code flox-node}, {@code flox}).
     */
    public static ProgressBar onTerminal(String program) {
        java.io.Console console = System.console();
        return new ProgressBar(System.err, console != null && console.isTerminal(), program);
    }

    @Override
    public void started(StorePath path, long expectedBytes) {
        expected.put(path, expectedBytes);
        done.put(path, 0L);
        draw(false);
    }

    @Override
    public void progressed(StorePath path, long bytesSoFar) {
        done.put(path, bytesSoFar);
        draw(false);
    }

    @Override
    public void finished(StorePath path) {
        finished.incrementAndGet();
        draw(true);
    }

    @Override
    public void retrying(StorePath path, int attempt, Exception cause) {
        if (enabled) {
            out.printf("%n%s: retrying %s (attempt %d): %s%n", program, path, attempt, cause.getMessage());
        }
    }

    private void draw(boolean force) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        long last = lastDraw.get();
        if (!force && now - last < REDRAW_NANOS || !lastDraw.compareAndSet(last, now)) {
            return;
        }
        long total = expected.values().stream().mapToLong(Long::longValue).sum();
        long sofar = done.values().stream().mapToLong(Long::longValue).sum();
        int width = 30;
        int filled = total == 0 ? 0 : (int) Math.min(width, sofar * width / total);
        double seconds = Math.max(1e-3, (now - startNanos) / 1e9);
        synchronized (out) {
            // \033[K erases what a longer previous line left behind
            out.printf("\r[%s%s] %d/%d paths %s/%s %s/s\033[K", "#".repeat(filled), " ".repeat(width - filled),
                    finished.get(), expected.size(), human(sofar), human(total), human((long) (sofar / seconds)));
            out.flush();
        }
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.1f %s", v, units[u]);
    }

    @Override
    public void close() {
        if (enabled && !expected.isEmpty()) {
            draw(true);
            out.println();
        }
    }
}
