import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Open-loop load at a fixed request rate (make bench): request i is due at start + i/rate, and its
 * latency is counted from when it was due, not from when it was sent, so a server that falls
 * behind shows it in the percentiles instead of slowing the generator down (no coordinated
 * omission). Each request runs on its own virtual thread over a shared HTTP/1.1 client.
 *
 * <p>Usage: {@code java LoadGen.java URL RATE SECONDS [WARMUP_SECONDS]}. Prints one line:
 * {@code requests=N ok=N errors=N rate=R p50_ms=X p90_ms=X p99_ms=X max_ms=X}.
 */
public class LoadGen {
    public static void main(String[] args) throws Exception {
        URI uri = URI.create(args[0]);
        int rate = Integer.parseInt(args[1]);
        int seconds = Integer.parseInt(args[2]);
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build();
        run(client, request, rate, warmup, null);
        long[] latencies = new long[rate * seconds];
        AtomicInteger errors = new AtomicInteger();
        long wall = run(client, request, rate, seconds, new Recorder(latencies, errors));
        long[] sorted = latencies.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        System.out.printf("requests=%d ok=%d errors=%d rate=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f%n",
                n, n - errors.get(), errors.get(), n / (wall / 1e9),
                ms(sorted[n / 2]), ms(sorted[(int) (n * 0.90)]), ms(sorted[(int) (n * 0.99)]), ms(sorted[n - 1]));
    }

    record Recorder(long[] latencies, AtomicInteger errors) {}

    /** Sends {@code rate * seconds} requests on schedule; returns the wall time until the last answer. */
    static long run(HttpClient client, HttpRequest request, int rate, int seconds, Recorder recorder) throws Exception {
        int total = rate * seconds;
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < total; i++) {
                long due = start + i * interval;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                int index = i;
                threads.submit(() -> {
                    int status;
                    try {
                        HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
                        status = response.statusCode();
                    } catch (Exception e) {
                        status = -1;
                    }
                    long latency = System.nanoTime() - due;
                    if (recorder != null) {
                        recorder.latencies()[index] = latency;
                        if (status != 200) {
                            recorder.errors().incrementAndGet();
                        }
                    }
                });
            }
            threads.shutdown();
            threads.awaitTermination(1, TimeUnit.MINUTES);
        }
        return System.nanoTime() - start;
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }
}
