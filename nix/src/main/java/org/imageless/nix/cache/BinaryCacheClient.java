package org.imageless.nix.cache;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.stream.Collectors;
import org.imageless.nix.NixException;
import org.imageless.nix.NixException.Kind;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.hash.HashAlgorithm;
import org.imageless.nix.narinfo.NarInfo;
import org.imageless.nix.sign.TrustedKeys;
import org.imageless.nix.store.StorePath;

/**
 * A client of a Nix binary cache ({@code nix-cache-info}, {@code <hash>.narinfo}, {@code nar/…}), over
 * HTTP(S) or from a {@code file://} directory. Safe for concurrent use; I/O runs on virtual threads.
 *
 * <p>Every narinfo must carry a signature by one of the {@link Builder#trustedKeys trusted keys},
 * unless the builder was told {@link Builder#acceptUnsigned()}. Every NAR is checked against its
 * narinfo's NarHash and NarSize (and FileHash/FileSize when given) while it streams.
 *
 * <p>Transient failures (connection errors, HTTP 408, 429 and 5xx except 501/505) are retried with
 * exponential backoff; when the attempts are used up the error is {@link Kind#UNAVAILABLE}. HTTP 401
 * is {@link Kind#DENIED}. As in Nix, a narinfo answered with 404 or 403 is absent. Credentials are
 * sent as HTTP Basic (as Nix does from netrc), only to the cache's own origin, and never appear in
 * messages.
 */
public final class BinaryCacheClient implements AutoCloseable {

    /** Nix's default {@code http-connections}. */
    public static final int DEFAULT_MAX_CONNECTIONS = 25;
    private static final int MAX_NARINFO_BYTES = 1 << 20;

    private final String cacheName;
    private final Transport transport;
    private final TrustedKeys trustedKeys;
    private final boolean requireSignatures;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final TransferListener listener;
    private final Semaphore connections;

    private BinaryCacheClient(Builder b) {
        this.cacheName = displayName(b.baseUri);
        this.transport = Transport.of(b.baseUri, b.authorization, b.connectTimeout, b.requestTimeout);
        this.trustedKeys = b.trustedKeys;
        this.requireSignatures = b.requireSignatures;
        this.maxAttempts = b.maxAttempts;
        this.initialBackoff = b.initialBackoff;
        this.maxBackoff = b.maxBackoff;
        this.listener = b.listener;
        this.connections = new Semaphore(b.maxConnections);
    }

    /** A builder for a cache at {@code baseUri} ({@code http://}, {@code https://} or {@code file://}). */
    public static Builder builder(URI baseUri) {
        return new Builder(baseUri);
    }

    /** The cache's URI without credentials or query, as shown in messages. */
    public String cacheName() {
        return cacheName;
    }

    /** Fetches and parses {@code nix-cache-info}; NOT_FOUND if the cache has none. */
    public CacheInfo cacheInfo() {
        return withRetries("nix-cache-info", null, attempt -> {
            Optional<String> text = fetchSmallText("nix-cache-info", false);
            return CacheInfo.parse(text.orElseThrow(() -> new NixException(Kind.NOT_FOUND,
                    "%s has no nix-cache-info: it is not a Nix binary cache".formatted(cacheName))), cacheName);
        });
    }

    /**
     * The narinfo of {@code path}, or empty if the cache does not have it (HTTP 404 or 403).
     *
     * @throws NixException CORRUPT if it does not parse, is for another path, or lacks a trusted
     *     signature; DENIED on 401; UNAVAILABLE when retries are used up
     */
    public Optional<NarInfo> narInfo(StorePath path) {
        String file = NarInfo.fileName(path);
        Optional<String> text = withRetries(file, null, attempt -> fetchSmallText(file, true));
        if (text.isEmpty()) {
            return Optional.empty();
        }
        NarInfo info;
        try {
            info = NarInfo.parse(text.get());
        } catch (NixException e) {
            throw new NixException(Kind.CORRUPT, "narinfo of %s from %s: %s".formatted(path, cacheName,
                    e.getMessage()), e);
        }
        if (!info.storePath().equals(path)) {
            throw NixException.corrupt("narinfo %s from %s is for %s, expected %s", file, cacheName,
                    info.storePath(), path);
        }
        if (requireSignatures && !trustedKeys.verifies(info)) {
            String signers = info.sigs().isEmpty() ? "none"
                    : info.sigs().stream().map(s -> s.substring(0, Math.max(0, s.indexOf(':'))))
                            .collect(Collectors.joining(", "));
            throw NixException.corrupt("narinfo of %s from %s has no valid signature by a trusted key "
                    + "(trusted keys tried: %s; signatures by: %s)", path, cacheName, trustedKeys.names(), signers);
        }
        return Optional.of(info);
    }

    /**
     * The narinfos of the closure of {@code roots}: the roots and everything they reference,
     * transitively, fetched in parallel.
     *
     * @throws NixException NOT_FOUND naming a path the cache lacks and the path that references it
     */
    public Map<StorePath, NarInfo> closure(Collection<StorePath> roots) {
        Map<StorePath, NarInfo> result = new LinkedHashMap<>();
        Map<StorePath, StorePath> referrer = new HashMap<>();
        List<StorePath> wave = new ArrayList<>(new java.util.TreeSet<>(roots));
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            while (!wave.isEmpty()) {
                Map<StorePath, Future<Optional<NarInfo>>> pending = new LinkedHashMap<>();
                for (StorePath p : wave) {
                    pending.put(p, executor.submit(() -> narInfo(p)));
                }
                List<StorePath> next = new ArrayList<>();
                for (var e : pending.entrySet()) {
                    StorePath p = e.getKey();
                    NarInfo info = await(e.getValue(), executor).orElseThrow(() -> {
                        executor.shutdownNow();
                        StorePath by = referrer.get(p);
                        return new NixException(Kind.NOT_FOUND, by == null
                                ? "store path %s is not in binary cache %s".formatted(p, cacheName)
                                : "store path %s (referenced by %s) is not in binary cache %s".formatted(p, by, cacheName));
                    });
                    result.put(p, info);
                    for (StorePath ref : info.references()) {
                        if (!result.containsKey(ref) && !pending.containsKey(ref) && !referrer.containsKey(ref)
                                && !roots.contains(ref)) {
                            referrer.put(ref, p);
                            next.add(ref);
                        }
                    }
                }
                wave = next;
            }
        }
        return result;
    }

    private static <T> T await(Future<T> f, ExecutorService executor) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            executor.shutdownNow();
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new NixException(Kind.IO, "fetching narinfo failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
            throw new NixException(Kind.UNAVAILABLE, "interrupted while fetching narinfos", e);
        }
    }

    /**
     * Downloads the NAR of {@code info}, decompresses it and streams it to {@code consumer}, hashing
     * it on the way. After the consumer returns, checks that it read the whole stream and that
     * NarHash/NarSize (and FileHash/FileSize of the compressed file, when given) match.
     *
     * <p>On a transient failure the download starts over and <b>the consumer is called again</b> with
     * a fresh stream; see {@link NarConsumer}. Nothing the consumer produced may be used unless this
     * method returns normally.
     *
     * @throws NixException CORRUPT on a hash or size mismatch or undecodable compressed data (naming
     *     the path, expected and actual values); INVALID for an unsupported compression; NOT_FOUND if
     *     the cache lacks the file; IO if the consumer failed on its own
     */
    public void fetchNar(NarInfo info, NarConsumer consumer) {
        Objects.requireNonNull(consumer, "consumer");
        StorePath path = info.storePath();
        Compression compression = Compression.parse(info.compression());
        String url = checkedNarUrl(info);
        withRetries(url, path, attempt -> {
            downloadOnce(info, compression, url, consumer);
            return null;
        });
        listener.finished(path);
    }

    private void downloadOnce(NarInfo info, Compression compression, String url, NarConsumer consumer)
            throws IOException, InterruptedException {
        StorePath path = info.storePath();
        connections.acquire();
        try {
            listener.started(path, info.narSize());
            Transport.Response r = transport.get(url);
            try (InputStream raw = r.body()) {
                checkStatus(r.status(), url, "NAR of " + path);
                long fileLimit = info.fileSize() > 0 ? info.fileSize() : Long.MAX_VALUE;
                Measured file = new Measured(new TransportStream(raw), fileLimit, "compressed NAR file " + url, null);
                Measured nar;
                try {
                    nar = new Measured(new Decompressed(file, compression, "NAR of " + path), info.narSize(),
                            "NAR of " + path, n -> listener.progressed(path, n));
                } catch (IOException e) {
                    throw classify(e, path, compression);
                }
                try {
                    consumer.accept(new UnclosableStream(nar));
                    if (nar.read() != -1) {
                        throw NixException.corrupt("NAR of %s from %s has data beyond byte %d where the reader "
                                + "stopped (NarSize %d)", path, cacheName, nar.count - 1, info.narSize());
                    }
                    file.transferTo(java.io.OutputStream.nullOutputStream());
                } catch (IOException e) {
                    if (causedBy(e, CorruptData.class) != null) {
                        checkFileHashAfterDamage(info, url, file, e);
                    }
                    throw classify(e, path, compression);
                } catch (NixException e) {
                    if (causedBy(e, TransportException.class) != null) {
                        throw new TransportException(e);
                    }
                    throw e;
                }
                check(path, "NarSize", Long.toString(info.narSize()), Long.toString(nar.count));
                check(path, "NarHash", info.narHash().toBase32(), nar.hash().toBase32());
                if (info.fileSize() > 0) {
                    check(path, "FileSize", Long.toString(info.fileSize()), Long.toString(file.count));
                }
                if (info.fileHash().isPresent()) {
                    check(path, "FileHash", info.fileHash().get().toBase32(), file.hash().toBase32());
                }
            }
        } finally {
            connections.release();
        }
    }

    /**
     * When the data turned out damaged while decompressing, the compressed file's hash says more
     * (expected and actual): reads the rest of the file and reports a FileHash mismatch if there is one.
     */
    private void checkFileHashAfterDamage(NarInfo info, String url, Measured file, IOException damage) {
        if (info.fileHash().isEmpty()) {
            return;
        }
        try {
            file.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException e) {
            return; // the network failed too, or the file is too long: the original damage is reported
        }
        Hash actual = file.hash();
        if (!actual.equals(info.fileHash().get())) {
            throw new NixException(Kind.CORRUPT, ("NAR of %s from %s does not match its narinfo: FileHash of %s "
                    + "expected %s, actual %s (%s)").formatted(info.storePath(), cacheName, url,
                    info.fileHash().get().toBase32(), actual.toBase32(), damage.getMessage()), damage);
        }
    }

    private void check(StorePath path, String field, String expected, String actual) {
        if (!expected.equals(actual)) {
            throw NixException.corrupt("NAR of %s from %s does not match its narinfo: %s expected %s, actual %s",
                    path, cacheName, field, expected, actual);
        }
    }

    /** Sorts an I/O failure during a download: network (retry), damaged data (CORRUPT), or the consumer's own. */
    private IOException classify(IOException e, StorePath path, Compression compression) {
        TransportException t = causedBy(e, TransportException.class);
        if (t != null) {
            return t;
        }
        CorruptData c = causedBy(e, CorruptData.class);
        if (c != null) {
            throw new NixException(Kind.CORRUPT, "%s from %s: %s".formatted(c.what, cacheName, c.getMessage()), e);
        }
        throw new NixException(Kind.IO, "reading the NAR of %s from %s failed: %s".formatted(path, cacheName, e), e);
    }

    private static <T extends Throwable> T causedBy(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    private String checkedNarUrl(NarInfo info) {
        String url = info.url();
        boolean bad = url.startsWith("/") || url.contains("://") || url.contains("\\") || url.contains("#")
                || url.chars().anyMatch(c -> c <= 0x20 || c == 0x7f);
        for (String segment : url.split("/", -1)) {
            bad |= segment.equals("..") || segment.equals(".") || segment.isEmpty();
        }
        if (!bad) {
            try {
                new URI(url);
            } catch (URISyntaxException e) {
                bad = true;
            }
        }
        if (bad) {
            throw NixException.corrupt("narinfo of %s from %s has URL '%s', expected a relative path inside the cache",
                    info.storePath(), cacheName, url);
        }
        return url;
    }

    private Optional<String> fetchSmallText(String file, boolean absentIfForbidden)
            throws IOException, InterruptedException {
        connections.acquire();
        try {
            Transport.Response r = transport.get(file);
            try (InputStream body = r.body()) {
                if (r.status() == 404 || (absentIfForbidden && r.status() == 403)) {
                    return Optional.empty();
                }
                checkStatus(r.status(), file, file);
                byte[] bytes = new TransportStream(body).readNBytes(MAX_NARINFO_BYTES + 1);
                if (bytes.length > MAX_NARINFO_BYTES) {
                    throw NixException.corrupt("%s from %s is larger than %d bytes", file, cacheName, MAX_NARINFO_BYTES);
                }
                return Optional.of(new String(bytes, StandardCharsets.UTF_8));
            }
        } finally {
            connections.release();
        }
    }

    private void checkStatus(int status, String file, String what) throws RetryableStatus {
        if (status == 200) {
            return;
        }
        if (status == 401) {
            throw new NixException(Kind.DENIED, ("binary cache %s refused %s (HTTP 401): credentials are missing "
                    + "or not accepted").formatted(cacheName, file));
        }
        if (status == 403) {
            throw new NixException(Kind.DENIED, "binary cache %s refused %s (HTTP 403): access denied"
                    .formatted(cacheName, file));
        }
        if (status == 404) {
            throw new NixException(Kind.NOT_FOUND, "%s is missing from binary cache %s: %s not found"
                    .formatted(what, cacheName, file));
        }
        if (status == 408 || status == 429 || (status >= 500 && status != 501 && status != 505)) {
            throw new RetryableStatus("binary cache %s answered HTTP %d for %s".formatted(cacheName, status, file));
        }
        throw new NixException(Kind.UNAVAILABLE, "binary cache %s answered HTTP %d for %s".formatted(cacheName, status, file));
    }

    @FunctionalInterface
    private interface Attempt<T> {
        T run(int attempt) throws IOException, InterruptedException;
    }

    private <T> T withRetries(String file, StorePath path, Attempt<T> attempt) {
        Exception last = null;
        Duration backoff = initialBackoff;
        for (int i = 1; i <= maxAttempts; i++) {
            try {
                return attempt.run(i);
            } catch (RetryableStatus | TransportException e) {
                last = e;
            } catch (IOException e) {
                last = e; // connection-level failure of the transport
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NixException(Kind.UNAVAILABLE, "interrupted while fetching %s from %s".formatted(file, cacheName), e);
            }
            if (i == maxAttempts) {
                break;
            }
            if (path != null) {
                listener.retrying(path, i, last);
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NixException(Kind.UNAVAILABLE, "interrupted while fetching %s from %s".formatted(file, cacheName), e);
            }
            backoff = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
        }
        String reason = last instanceof RetryableStatus ? last.getMessage()
                : last instanceof TransportException t && t.getCause() != null ? t.getCause().toString() : String.valueOf(last);
        throw new NixException(Kind.UNAVAILABLE, "fetching %s from %s failed after %d attempts: %s"
                .formatted(file, cacheName, maxAttempts, reason), last);
    }

    private static String displayName(URI uri) {
        String port = uri.getPort() < 0 ? "" : ":" + uri.getPort();
        String host = uri.getHost() == null ? "" : uri.getHost();
        return uri.getScheme() + "://" + host + port + Objects.requireNonNullElse(uri.getPath(), "");
    }

    @Override
    public void close() {
        transport.close();
    }

    /** An HTTP status worth trying again (5xx, 408, 429). */
    private static final class RetryableStatus extends IOException {
        private static final long serialVersionUID = 1L;

        RetryableStatus(String message) {
            super(message);
        }
    }

    /** Marks an I/O failure of the network stream, as opposed to one of the decompressor or consumer. */
    private static final class TransportException extends IOException {
        private static final long serialVersionUID = 1L;

        TransportException(Throwable cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** Data that contradicts the narinfo while streaming (more bytes than announced). */
    private static final class CorruptData extends IOException {
        private static final long serialVersionUID = 1L;
        final String what;

        CorruptData(String what, String message) {
            super(message);
            this.what = what;
        }
    }

    /** Tags every I/O failure of the underlying network stream as a {@link TransportException}. */
    private static final class TransportStream extends FilterInputStream {
        TransportStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                throw new TransportException(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                throw new TransportException(e);
            }
        }
    }

    /**
     * The decompressed stream; any failure of the decompressor that is not the network's is damaged
     * data ({@link CorruptData}). Decompressors also throw runtime exceptions on some garbage.
     */
    private static final class Decompressed extends InputStream {
        private final String what;
        private final Compression compression;
        private final InputStream in;

        Decompressed(InputStream compressed, Compression compression, String what) throws IOException {
            this.what = what;
            this.compression = compression;
            InputStream opened;
            try {
                opened = compression.decompress(compressed);
            } catch (IOException | RuntimeException e) {
                throw damaged(e);
            }
            this.in = opened;
        }

        private IOException damaged(Exception e) {
            if (e instanceof IOException io && (causedBy(io, TransportException.class) != null
                    || causedBy(io, CorruptData.class) != null)) {
                return io;
            }
            CorruptData c = new CorruptData(what, "cannot be decompressed as %s: %s".formatted(compression.nixName(), e));
            c.initCause(e);
            return c;
        }

        @Override
        public int read() throws IOException {
            try {
                return in.read();
            } catch (IOException | RuntimeException e) {
                throw damaged(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (IOException | RuntimeException e) {
                throw damaged(e);
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** Counts and SHA-256-hashes what is read through it; fails once more than {@code limit} bytes come. */
    private static final class Measured extends FilterInputStream {
        private final MessageDigest digest = HashAlgorithm.SHA256.newDigest();
        private final long limit;
        private final String what;
        private final java.util.function.LongConsumer progress;
        long count;

        Measured(InputStream in, long limit, String what, java.util.function.LongConsumer progress) {
            super(in);
            this.limit = limit;
            this.what = what;
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                digest.update(b, off, n);
                count += n;
                if (count > limit) {
                    throw new CorruptData(what, "has more than the %d bytes its narinfo announces".formatted(limit));
                }
                if (progress != null) {
                    progress.accept(count);
                }
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[8192];
            long done = 0;
            while (done < n) {
                int r = read(buf, 0, (int) Math.min(buf.length, n - done));
                if (r < 0) {
                    break;
                }
                done += r;
            }
            return done;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        Hash hash() {
            return new Hash(HashAlgorithm.SHA256, digest.digest());
        }
    }

    /** What the consumer gets: closing it does not close the download (we still check the end). */
    private static final class UnclosableStream extends FilterInputStream {
        UnclosableStream(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return in.read(b, off, len);
        }

        @Override
        public void close() {}

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public synchronized void mark(int readlimit) {}

        @Override
        public synchronized void reset() throws IOException {
            throw new IOException("mark/reset not supported");
        }
    }

    /** Builds a {@link BinaryCacheClient}. Signatures are required unless {@link #acceptUnsigned()} is called. */
    public static final class Builder {
        private final URI baseUri;
        private TrustedKeys trustedKeys = TrustedKeys.none();
        private boolean requireSignatures = true;
        private Optional<String> authorization = Optional.empty();
        private int maxAttempts = 5;
        private Duration initialBackoff = Duration.ofMillis(250);
        private Duration maxBackoff = Duration.ofSeconds(8);
        private Duration connectTimeout = Duration.ofSeconds(30);
        private Duration requestTimeout = Duration.ofSeconds(60);
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private TransferListener listener = TransferListener.NONE;

        private Builder(URI baseUri) {
            Objects.requireNonNull(baseUri, "baseUri");
            String scheme = Objects.requireNonNullElse(baseUri.getScheme(), "");
            if (!List.of("http", "https", "file").contains(scheme)) {
                throw NixException.invalid("binary cache URI '%s' must start with http://, https:// or file://",
                        displayName(baseUri));
            }
            if (baseUri.getRawUserInfo() != null) {
                throw NixException.invalid("binary cache URI %s must not contain credentials: use credentials(...)",
                        displayName(baseUri));
            }
            this.baseUri = baseUri;
        }

        /** The keys whose signatures are accepted (Nix's {@code trusted-public-keys}). */
        public Builder trustedKeys(TrustedKeys keys) {
            this.trustedKeys = Objects.requireNonNull(keys);
            return this;
        }

        /** Skips signature checks (Nix's {@code require-sigs = false}); hashes are still checked. */
        public Builder acceptUnsigned() {
            this.requireSignatures = false;
            return this;
        }

        /** HTTP Basic credentials, as Nix sends them from netrc: any user name, the token as password. */
        public Builder credentials(String user, String password) {
            String pair = user + ":" + password;
            this.authorization = Optional.of("Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
            return this;
        }

        /** A token as HTTP Basic password with user {@code oauth}. */
        public Builder token(String token) {
            return credentials("oauth", token);
        }

        /** How often a request is tried in all (at least 1), and the first backoff (doubled each time, up to {@code maxBackoff}). */
        public Builder retries(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
            if (maxAttempts < 1) {
                throw NixException.invalid("maxAttempts %d must be at least 1", maxAttempts);
            }
            this.maxAttempts = maxAttempts;
            this.initialBackoff = Objects.requireNonNull(initialBackoff);
            this.maxBackoff = Objects.requireNonNull(maxBackoff);
            return this;
        }

        public Builder timeouts(Duration connect, Duration request) {
            this.connectTimeout = Objects.requireNonNull(connect);
            this.requestTimeout = Objects.requireNonNull(request);
            return this;
        }

        /** At most this many requests at once (Nix's {@code http-connections}, default 25). */
        public Builder maxConnections(int n) {
            if (n < 1) {
                throw NixException.invalid("maxConnections %d must be at least 1", n);
            }
            this.maxConnections = n;
            return this;
        }

        public Builder listener(TransferListener listener) {
            this.listener = Objects.requireNonNull(listener);
            return this;
        }

        /**
         * @throws NixException INVALID if signatures are required but no trusted key was given
         */
        public BinaryCacheClient build() {
            if (requireSignatures && trustedKeys.isEmpty()) {
                throw NixException.invalid("no trusted public keys for binary cache %s: give trustedKeys(...) "
                        + "or call acceptUnsigned()", displayName(baseUri));
            }
            return new BinaryCacheClient(this);
        }
    }
}
