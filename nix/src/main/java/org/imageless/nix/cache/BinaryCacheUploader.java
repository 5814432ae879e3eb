package org.imageless.nix.cache;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.imageless.nix.NixException;
import org.imageless.nix.NixException.Kind;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.hash.HashAlgorithm;
import org.imageless.nix.narinfo.NarInfo;
import org.imageless.nix.nodestore.NodeStore;
import org.imageless.nix.nodestore.PathInfo;
import org.imageless.nix.store.StorePath;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/**
 * Uploads closures from a {@link NodeStore} to a Nix binary cache the way {@code nix copy --to
 * http://…} does: per path, references first, {@code PUT nar/<filehash>.nar.xz} then
 * {@code PUT <hash>.narinfo}; paths whose narinfo the cache already serves are skipped. A
 * {@code file://} base URI writes the same files into a directory (Nix's local binary cache).
 *
 * <p>Each NAR streams from the store through xz into a temporary file (its SHA-256 is the file
 * name, so it must be known before the upload starts), then streams from that file to the cache:
 * a NAR is never held in memory. The token is sent as HTTP Basic password (as Nix does from a
 * netrc entry), only to the cache's own origin, and never appears in messages.
 */
public final class BinaryCacheUploader implements AutoCloseable {

    private static final int XZ_PRESET = 3;

    private final URI base;
    private final Optional<String> authorization;
    private final TransferListener listener;
    private final Path tmpDir;
    private final HttpClient http;

    private BinaryCacheUploader(Builder b) {
        String s = b.base.toString();
        this.base = URI.create(s.endsWith("/") ? s : s + "/");
        this.authorization = Optional.ofNullable(b.token).map(t -> "Basic "
                + Base64.getEncoder().encodeToString(("flox:" + t).getBytes(StandardCharsets.UTF_8)));
        this.listener = b.listener;
        this.tmpDir = b.tmpDir;
        this.http = isFile() ? null : HttpClient.newBuilder().connectTimeout(b.connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public static Builder builder(URI baseUri) {
        return new Builder(baseUri);
    }

    /** What an upload did: the closure, and which of its paths were uploaded now (the rest were there). */
    public record UploadResult(Set<StorePath> closure, Set<StorePath> uploaded) {}

    /**
     * Uploads the closure of {@code roots} (which must be valid in {@code store}), references before
     * the paths that refer to them, skipping what the cache already has.
     *
     * @throws NixException NOT_FOUND for a root not in the store, DENIED when the cache refuses the
     *                      token (401/403), UNAVAILABLE when it cannot be reached or fails, INVALID
     *                      when it rejects an upload (its message is included)
     */
    public UploadResult upload(NodeStore store, Collection<StorePath> roots) {
        List<StorePath> order = referencesFirst(store, roots);
        Set<StorePath> uploaded = new LinkedHashSet<>();
        if (isFile()) {
            writeCacheInfoIfMissing();
        }
        for (StorePath p : order) {
            if (has(p)) {
                continue;
            }
            uploadOne(store, p);
            uploaded.add(p);
        }
        return new UploadResult(new LinkedHashSet<>(order), uploaded);
    }

    /** The closure in an order where every path comes after its references. */
    static List<StorePath> referencesFirst(NodeStore store, Collection<StorePath> roots) {
        List<StorePath> order = new ArrayList<>();
        Set<StorePath> done = new HashSet<>();
        for (StorePath root : roots) {
            visit(store, root, done, new HashSet<>(), order);
        }
        return order;
    }

    private static void visit(NodeStore store, StorePath p, Set<StorePath> done, Set<StorePath> onPath,
                              List<StorePath> order) {
        if (done.contains(p)) {
            return;
        }
        if (!onPath.add(p)) {
            throw NixException.corrupt("store path %s is part of a reference cycle", p);
        }
        PathInfo info = store.query(p).orElseThrow(() -> new NixException(Kind.NOT_FOUND,
                "cannot upload " + p + ": it is not valid in the store " + store.dir()));
        for (StorePath r : info.referencesWithoutSelf()) {
            visit(store, r, done, onPath, order);
        }
        onPath.remove(p);
        done.add(p);
        order.add(p);
    }

    private void uploadOne(NodeStore store, StorePath p) {
        PathInfo info = store.query(p).orElseThrow(() -> new NixException(Kind.NOT_FOUND,
                "cannot upload " + p + ": it is not valid in the store " + store.dir()));
        listener.started(p, info.narSize());
        Path tmp = null;
        try {
            Files.createDirectories(tmpDir);
            tmp = Files.createTempFile(tmpDir, "upload-", ".nar.xz");
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long[] narBytes = {0};
            try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
                 DigestOutputStream hashed = new DigestOutputStream(file, sha);
                 XZOutputStream xz = new XZOutputStream(hashed, new LZMA2Options(XZ_PRESET));
                 OutputStream counting = new FilterOutputStream(xz) {
                     @Override
                     public void write(byte[] b, int off, int len) throws IOException {
                         out.write(b, off, len);
                         narBytes[0] += len;
                         listener.progressed(p, narBytes[0]);
                     }

                     @Override
                     public void write(int b) throws IOException {
                         out.write(b);
                         narBytes[0]++;
                     }
                 }) {
                store.dump(p, counting);
            }
            Hash fileHash = new Hash(HashAlgorithm.SHA256, sha.digest());
            long fileSize = Files.size(tmp);
            String narFile = "nar/" + fileHash.base32Digest() + Compression.XZ.extension();
            NarInfo narInfo = new NarInfo(p, narFile, Compression.XZ.nixName(), Optional.of(fileHash), fileSize,
                    info.narHash(), info.narSize(), info.references(), info.deriver(), Optional.empty(),
                    info.sigs(), info.ca());
            put(narFile, tmp, "application/x-nix-nar");
            put(NarInfo.fileName(p), narInfo.format().getBytes(StandardCharsets.UTF_8), "text/x-nix-narinfo");
            listener.finished(p);
        } catch (IOException e) {
            throw new NixException(Kind.IO, "cannot upload " + p + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a leftover temporary file is harmless
                }
            }
        }
    }

    private boolean has(StorePath p) {
        if (isFile()) {
            return Files.exists(fileBase().resolve(NarInfo.fileName(p)));
        }
        HttpRequest.Builder r = request(NarInfo.fileName(p)).method("HEAD", HttpRequest.BodyPublishers.noBody());
        int status = send(r, "asking for " + NarInfo.fileName(p)).statusCode();
        if (status == 200) {
            return true;
        }
        if (status == 404 || status == 403) {
            return false;
        }
        throw failure(status, "", "asking for " + NarInfo.fileName(p));
    }

    private void put(String relative, Path file, String type) throws IOException {
        if (isFile()) {
            Path target = fileBase().resolve(relative);
            Files.createDirectories(target.getParent());
            Path part = target.resolveSibling("." + target.getFileName() + ".part");
            Files.copy(file, part, StandardCopyOption.REPLACE_EXISTING);
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return;
        }
        check(send(request(relative).header("Content-Type", type).PUT(HttpRequest.BodyPublishers.ofFile(file)),
                "uploading " + relative), "uploading " + relative);
    }

    private void put(String relative, byte[] body, String type) throws IOException {
        if (isFile()) {
            Path target = fileBase().resolve(relative);
            Path part = target.resolveSibling("." + target.getFileName() + ".part");
            Files.write(part, body);
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return;
        }
        check(send(request(relative).header("Content-Type", type).PUT(HttpRequest.BodyPublishers.ofByteArray(body)),
                "uploading " + relative), "uploading " + relative);
    }

    private void writeCacheInfoIfMissing() {
        Path info = fileBase().resolve("nix-cache-info");
        try {
            Files.createDirectories(fileBase().resolve("nar"));
            if (!Files.exists(info)) {
                Files.writeString(info, "StoreDir: " + StorePath.STORE_DIR + "\n");
            }
        } catch (IOException e) {
            throw new NixException(Kind.IO, "cannot create the binary cache in " + fileBase() + ": " + e, e);
        }
    }

    private HttpRequest.Builder request(String relative) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(relative)).timeout(Duration.ofMinutes(30));
        authorization.ifPresent(a -> b.header("Authorization", a));
        return b;
    }

    private HttpResponse<String> send(HttpRequest.Builder r, String what) {
        try {
            return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new NixException(Kind.UNAVAILABLE, "cannot reach the binary cache at " + base + " (" + what
                    + "): connection refused; check that it runs and the URL is right", e);
        } catch (IOException e) {
            throw new NixException(Kind.UNAVAILABLE, "the binary cache at " + base + " failed while " + what + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NixException(Kind.UNAVAILABLE, "interrupted while " + what, e);
        }
    }

    private void check(HttpResponse<String> r, String what) {
        int s = r.statusCode();
        if (s / 100 != 2) {
            throw failure(s, r.body(), what);
        }
    }

    private NixException failure(int status, String body, String what) {
        String detail = body == null || body.isBlank() ? "" : ": " + body.strip();
        return switch (status) {
            case 401 -> new NixException(Kind.DENIED, "the binary cache at " + base + " needs a valid token for "
                    + what + " (HTTP 401)" + detail);
            case 403 -> new NixException(Kind.DENIED, "the binary cache at " + base + " refused " + what
                    + " (HTTP 403): the token may not upload here" + detail);
            case 400, 409, 413, 422 -> new NixException(Kind.INVALID, "the binary cache at " + base + " rejected "
                    + what + " (HTTP " + status + ")" + detail);
            default -> new NixException(Kind.UNAVAILABLE, "the binary cache at " + base + " failed " + what
                    + " (HTTP " + status + ")" + detail);
        };
    }

    private boolean isFile() {
        return "file".equals(base.getScheme());
    }

    private Path fileBase() {
        return Path.of(base);
    }

    @Override
    public void close() {
        if (http != null) {
            http.close();
        }
    }

    public static final class Builder {
        private final URI base;
        private String token;
        private TransferListener listener = TransferListener.NONE;
        private Path tmpDir = Path.of(System.getProperty("java.io.tmpdir"));
        private Duration connectTimeout = Duration.ofSeconds(10);

        private Builder(URI base) {
            String scheme = base.getScheme();
            if (!"http".equals(scheme) && !"https".equals(scheme) && !"file".equals(scheme)) {
                throw NixException.invalid("binary cache URI '%s' must be http://, https:// or file://", base);
            }
            this.base = base;
        }

        /** Sends {@code token} as HTTP Basic password with every request. */
        public Builder token(String token) {
            this.token = token;
            return this;
        }

        public Builder listener(TransferListener listener) {
            this.listener = listener;
            return this;
        }

        /** Where compressed NARs wait for their upload (default: java.io.tmpdir). */
        public Builder tmpDir(Path dir) {
            this.tmpDir = dir;
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        public BinaryCacheUploader build() {
            return new BinaryCacheUploader(this);
        }
    }
}
