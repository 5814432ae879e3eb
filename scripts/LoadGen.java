import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Open-loop load at a fixed request rate (make bench): request i is due at start + i/rate, and its
 * latency is counted from when it was due, not from when it was sent, so a server that falls
 * behind shows it in the percentiles instead of slowing the generator down (no coordinated
 * omission).
 *
 * <p>The generator is meant to cost the machine as little as possible, since it shares the cores with
 * the server it measures: a pool of platform threads, each with its own keep-alive HTTP/1.1
 * connection, takes due requests from a queue; requests are pre-encoded bytes and responses are read
 * into a reused buffer (Content-Length bodies only). Run it with {@code -XX:+UseSerialGC}: it
 * allocates almost nothing per request, so its own collector does not pause the measurement.
 *
 * <p>Usage: {@code java LoadGen.java URL RATE SECONDS [WARMUP_SECONDS]}. Prints one line:
 * {@code requests=N ok=N errors=N rate=R p50_ms=X p90_ms=X p99_ms=X max_ms=X}.
 */
public class LoadGen {
    private static final int WORKERS = 32;

    public static void main(String[] args) throws Exception {
        URI uri = URI.create(args[0]);
        int rate = Integer.parseInt(args[1]);
        int seconds = Integer.parseInt(args[2]);
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        InetSocketAddress address = new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 80 : uri.getPort());
        String path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: " + uri.getAuthority() + "\r\nUser-Agent: floxhub-bench\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        run(address, request, rate, warmup, null);
        long[] latencies = new long[rate * seconds];
        AtomicInteger errors = new AtomicInteger();
        long wall = run(address, request, rate, seconds, new Recorder(latencies, errors));
        long[] sorted = latencies.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        System.out.printf("requests=%d ok=%d errors=%d rate=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f%n",
                n, n - errors.get(), errors.get(), n / (wall / 1e9),
                ms(sorted[n / 2]), ms(sorted[(int) (n * 0.90)]), ms(sorted[(int) (n * 0.99)]), ms(sorted[n - 1]));
    }

    record Recorder(long[] latencies, AtomicInteger errors) {}

    /** One request: its index in the run and the time it was due; index -1 tells a worker to stop. */
    record Due(int index, long due) {}

    /** Sends {@code rate * seconds} requests on schedule; returns the wall time until the last answer. */
    static long run(InetSocketAddress address, byte[] request, int rate, int seconds, Recorder recorder) throws Exception {
        int total = rate * seconds;
        long interval = 1_000_000_000L / rate;
        BlockingQueue<Due> queue = new LinkedBlockingQueue<>();
        CountDownLatch done = new CountDownLatch(WORKERS);
        for (int w = 0; w < WORKERS; w++) {
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    work(address, request, queue, recorder);
                } finally {
                    done.countDown();
                }
            });
        }
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            queue.add(new Due(i, due));
        }
        for (int w = 0; w < WORKERS; w++) {
            queue.add(new Due(-1, 0));
        }
        done.await();
        return System.nanoTime() - start;
    }

    private static void work(InetSocketAddress address, byte[] request, BlockingQueue<Due> queue, Recorder recorder) {
        byte[] buffer = new byte[64 * 1024];
        Socket socket = null;
        try {
            while (true) {
                Due due = queue.take();
                if (due.index() < 0) {
                    return;
                }
                int status;
                try {
                    if (socket == null) {
                        socket = new Socket();
                        socket.setTcpNoDelay(true);
                        socket.connect(address, 5000);
                        socket.setSoTimeout(10_000);
                    }
                    status = exchange(socket, request, buffer);
                    if (status < 0) { // the server closed the connection after answering
                        socket.close();
                        socket = null;
                        status = -status;
                    }
                } catch (IOException e) {
                    status = -1;
                    if (socket != null) {
                        try {
                            socket.close();
                        } catch (IOException ignored) {
                            // the socket is dropped either way
                        }
                        socket = null;
                    }
                }
                long latency = System.nanoTime() - due.due();
                if (recorder != null) {
                    recorder.latencies()[due.index()] = latency;
                    if (status != 200) {
                        recorder.errors().incrementAndGet();
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sends the request and reads the whole response; returns its status, negated when the server closes. */
    private static int exchange(Socket socket, byte[] request, byte[] buffer) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(request);
        out.flush();
        InputStream in = socket.getInputStream();
        int filled = 0;
        int headerEnd;
        while ((headerEnd = headerEnd(buffer, filled)) < 0) {
            int n = in.read(buffer, filled, buffer.length - filled);
            if (n < 0 || filled + n == buffer.length) {
                throw new IOException("no complete response header");
            }
            filled += n;
        }
        String head = new String(buffer, 0, headerEnd, StandardCharsets.ISO_8859_1);
        int status = Integer.parseInt(head.substring(9, 12));
        long length = -1;
        boolean close = false;
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Content-Length")) {
                length = Long.parseLong(value);
            } else if (name.equalsIgnoreCase("Connection") && value.equalsIgnoreCase("close")) {
                close = true;
            }
        }
        if (length < 0) {
            throw new IOException("response without Content-Length");
        }
        long remaining = length - (filled - headerEnd);
        while (remaining > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
            if (n < 0) {
                throw new IOException("response body cut short");
            }
            remaining -= n;
        }
        return close ? -status : status;
    }

    /** The offset just after the blank line ending the header, or -1 when it has not arrived yet. */
    private static int headerEnd(byte[] b, int filled) {
        for (int i = 3; i < filled; i++) {
            if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
                return i + 1;
            }
        }
        return -1;
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }
}
