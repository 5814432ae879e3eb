package org.imageless.hub.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.imageless.nix.cache.BinaryCacheClient;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.narinfo.NarInfo;
import org.imageless.nix.sign.SigningKey;
import org.imageless.nix.sign.TrustedKeys;
import org.imageless.nix.store.StorePath;
import org.imageless.nix.testing.RealNix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The cache routes against the real nix 2.8: {@code nix copy --to}, {@code --from}, {@code store verify}. */
class CacheRoutesTest {

    private static final String WRITER_TOKEN = "writer-token";
    private static final String READER_TOKEN = "reader-token";
    private static final String STRANGER_TOKEN = "stranger-token";

    @TempDir
    Path dir;

    private final SigningKey hubKey = SigningKey.generate("hub.test-1");
    /** Principal = the token sent as the Basic password ("" for anonymous); roots readable per principal. */
    private final Map<String, Set<StorePath>> roots = new ConcurrentHashMap<>();
    private CacheStorage storage;
    private Javalin app;
    private RealNix nix;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        nix = RealNix.in(dir);
        startHub();
    }

    private void startHub() {
        storage = CacheStorage.open(dir.resolve("data"), hubKey);
        CacheAccess<String> access = CacheAccess.byRoots(storage, p -> roots.getOrDefault(p, Set.of()),
                p -> switch (p) {
                    case WRITER_TOKEN -> UploadPermission.ALLOWED;
                    case "" -> UploadPermission.UNAUTHENTICATED;
                    default -> UploadPermission.FORBIDDEN;
                });
        CacheRoutes<String> routes = new CacheRoutes<>(storage, CacheRoutesTest::token, access);
        app = Javalin.create(config -> routes.register(config.routes)).start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        app.stop();
    }

    private static String token(io.javalin.http.Context ctx) {
        String auth = ctx.header("Authorization");
        if (auth == null || !auth.startsWith("Basic ")) {
            return "";
        }
        String userPass = new String(Base64.getDecoder().decode(auth.substring(6)), StandardCharsets.UTF_8);
        return userPass.substring(userPass.indexOf(':') + 1);
    }

    private String cacheUrl() {
        return "http://127.0.0.1:" + app.port() + "/cache";
    }

    /** Three paths: c references b references a. */
    private List<String> closure() throws IOException {
        Path file = dir.resolve("a.txt");
        Files.writeString(file, "hello from a\n".repeat(1000));
        String a = nix.add(file);
        String b = nix.addTextWithReferences("b", "b uses", a);
        String c = nix.addTextWithReferences("c", "c uses", b);
        return List.of(a, b, c);
    }

    private Path netrc(String token) throws IOException {
        Path netrc = dir.resolve("netrc-" + token);
        Files.writeString(netrc, "machine 127.0.0.1\nlogin anyone\npassword " + token + "\n");
        return netrc;
    }

    private RealNix.Result nixWith(String extraConfig, String... command) {
        return nix.tryRun(List.of(command), null, Map.of("NIX_CONFIG", RealNix.NIX_CONFIG + "\n" + extraConfig));
    }

    private RealNix.Result copyToHub(String compression, String token, String... paths) throws IOException {
        String config = token == null ? "" : "netrc-file = " + netrc(token);
        return nixWith(config, Stream.concat(Stream.of("nix", "copy", "--from", nix.storeUri(), "--to",
                cacheUrl() + "?compression=" + compression), Stream.of(paths)).toArray(String[]::new));
    }

    @ParameterizedTest(name = "compression={0}")
    @ValueSource(strings = {"none", "xz", "zstd"})
    void nixCopyToTheHubUploadsAClosureAndNixCopiesItBackVerified(String compression) throws IOException {
        List<String> paths = closure();
        String top = paths.get(2);

        RealNix.Result upload = copyToHub(compression, WRITER_TOKEN, top);
        assertThat(upload.exitCode()).as(upload.stderr()).isZero();
        for (String p : paths) {
            assertThat(storage.contains(StorePath.parse(p))).as(p).isTrue();
            NarInfo info = storage.narInfo(StorePath.parse(p).hashPart()).orElseThrow().info();
            assertThat(info.compression()).isEqualTo(compression);
            assertThat(info.sigs()).anySatisfy(s -> assertThat(s).startsWith("hub.test-1:"));
            assertThat(hubKey.publicKey().verify(info.fingerprint(),
                    info.sigs().stream().filter(s -> s.startsWith("hub.test-1:")).findFirst().orElseThrow())).isTrue();
        }

        roots.put(READER_TOKEN, Set.of(StorePath.parse(top)));
        String readConfig = "netrc-file = " + netrc(READER_TOKEN) + "\ntrusted-public-keys = " + hubKey.publicKey()
                + "\nrequire-sigs = true";
        Path fresh = dir.resolve("fresh-store");
        RealNix.Result copyBack = nixWith(readConfig, "nix", "copy", "--from", cacheUrl(), "--to", fresh.toString(), top);
        assertThat(copyBack.exitCode()).as(copyBack.stderr()).isZero();
        assertThat(Files.readString(Path.of(fresh + paths.get(0)))).isEqualTo("hello from a\n".repeat(1000));
        assertThat(Files.readString(Path.of(fresh + top))).contains(paths.get(1));

        RealNix.Result verify = nixWith(readConfig, "nix", "store", "verify", "--store", cacheUrl(),
                "--trusted-public-keys", hubKey.publicKey().toString(), "-r", top);
        assertThat(verify.exitCode()).as(verify.stderr()).isZero();

        try (BinaryCacheClient client = BinaryCacheClient.builder(URI.create(cacheUrl()))
                .trustedKeys(TrustedKeys.of(hubKey.publicKey())).credentials("x", READER_TOKEN).build()) {
            Map<StorePath, NarInfo> infos = client.closure(List.of(StorePath.parse(top)));
            assertThat(infos.keySet()).containsExactlyInAnyOrderElementsOf(paths.stream().map(StorePath::parse).toList());
            ByteArrayOutputStream nar = new ByteArrayOutputStream();
            client.fetchNar(infos.get(StorePath.parse(paths.get(0))), in -> in.transferTo(nar));
            assertThat(nar.toByteArray()).isEqualTo(nix.dump(nix.realPath(paths.get(0))));
        }
    }

    @Test
    void aNarLoadedAheadIsServedWholeAndRealNixCopiesItBackVerified() throws IOException {
        // 5 MB that does not compress, uploaded uncompressed: the NAR file is sent in slices that a loader reads ahead
        byte[] data = new byte[5 * 1024 * 1024 + 12345];
        new java.util.Random(7).nextBytes(data);
        Path file = Files.write(dir.resolve("big.bin"), data);
        String big = nix.add(file);
        assertThat(copyToHub("none", WRITER_TOKEN, big).exitCode()).isZero();
        roots.put(READER_TOKEN, Set.of(StorePath.parse(big)));

        Path fresh = dir.resolve("fresh-big");
        RealNix.Result copyBack = nixWith("netrc-file = " + netrc(READER_TOKEN) + "\ntrusted-public-keys = " + hubKey.publicKey()
                + "\nrequire-sigs = true", "nix", "copy", "--from", cacheUrl(), "--to", fresh.toString(), big);
        assertThat(copyBack.exitCode()).as(copyBack.stderr()).isZero();
        assertThat(Files.readAllBytes(Path.of(fresh + big))).isEqualTo(data);
        try (BinaryCacheClient client = BinaryCacheClient.builder(URI.create(cacheUrl()))
                .trustedKeys(TrustedKeys.of(hubKey.publicKey())).credentials("x", READER_TOKEN).build()) {
            NarInfo info = client.closure(List.of(StorePath.parse(big))).get(StorePath.parse(big));
            byte[] expected = nix.dump(nix.realPath(big));
            // a download that breaks off after its first slice: its loader stops, and the hub goes on serving
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), app.port())) {
                s.getOutputStream().write(("GET /cache/" + info.url() + " HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
                        + Base64.getEncoder().encodeToString(("x:" + READER_TOKEN).getBytes(StandardCharsets.UTF_8)) + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                assertThat(s.getInputStream().readNBytes(1024 * 1024)).hasSize(1024 * 1024);
            }
            // twice more at once, each with a loader of its own
            List<java.util.concurrent.CompletableFuture<byte[]>> downloads = new java.util.ArrayList<>();
            for (int i = 0; i < 2; i++) {
                downloads.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    ByteArrayOutputStream nar = new ByteArrayOutputStream();
                    client.fetchNar(info, in -> in.transferTo(nar));
                    return nar.toByteArray();
                }));
            }
            for (var d : downloads) {
                assertThat(d.join()).isEqualTo(expected);
            }
        }
    }

    @Test
    void copyingAgainIsANoOpAndTheUploadersSignatureIsKeptBesideTheHubs() throws IOException {
        List<String> paths = closure();
        RealNix.KeyPair uploaderKey = nix.generateKey("uploader-1", dir);
        nix.sign(uploaderKey.secretFile(), paths.get(2));
        StorePath top = StorePath.parse(paths.get(2));
        roots.put(READER_TOKEN, Set.of(top)); // readable before it exists: becomes visible once uploaded
        assertThat(get("/" + top.hashPart() + ".narinfo", READER_TOKEN).statusCode()).isEqualTo(404);

        assertThat(copyToHub("xz", WRITER_TOKEN, paths.get(2)).exitCode()).isZero();
        byte[] first = storage.narInfo(top.hashPart()).orElseThrow().text();
        RealNix.Result again = copyToHub("xz", WRITER_TOKEN, paths.get(2));

        assertThat(again.exitCode()).as(again.stderr()).isZero();
        assertThat(storage.narInfo(top.hashPart()).orElseThrow().text()).isEqualTo(first);
        assertThat(storage.size()).isEqualTo(3);
        assertThat(countFiles(storage.root().resolve("nar"))).isEqualTo(3);
        assertThat(countFiles(storage.root().resolve("incoming"))).isZero();
        assertThat(storage.narInfo(top.hashPart()).orElseThrow().info().sigs())
                .anySatisfy(sig -> assertThat(sig).startsWith("uploader-1:"))
                .anySatisfy(sig -> assertThat(sig).startsWith("hub.test-1:"));
        HttpResponse<String> served = get("/" + top.hashPart() + ".narinfo", READER_TOKEN);
        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(served.headers().firstValue("Content-Type")).hasValue("text/x-nix-narinfo");
        assertThat(served.body()).isEqualTo(new String(first, StandardCharsets.UTF_8));
    }

    @Test
    void nixCopyToTheHubWithoutCredentialsFailsAndStoresNothing() throws IOException {
        String top = closure().get(2);
        RealNix.Result upload = copyToHub("xz", null, top);
        assertThat(upload.exitCode()).isNotZero();
        assertThat(upload.stderr()).contains("401");
        assertThat(storage.size()).isZero();
        try (Stream<Path> files = Files.list(storage.root().resolve("incoming"))) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void aReaderMayNotUpload() throws IOException {
        String top = closure().get(2);
        RealNix.Result upload = copyToHub("xz", READER_TOKEN, top);
        assertThat(upload.exitCode()).isNotZero();
        assertThat(upload.stderr()).contains("403");
        assertThat(storage.size()).isZero();
    }

    @Test
    void restartedHubServesWhatWasUploaded() throws IOException {
        List<String> paths = closure();
        assertThat(copyToHub("zstd", WRITER_TOKEN, paths.get(2)).exitCode()).isZero();
        app.stop();
        startHub();
        assertThat(storage.size()).isEqualTo(3);
        roots.put(READER_TOKEN, Set.of(StorePath.parse(paths.get(2))));
        assertThat(get("/" + StorePath.parse(paths.get(0)).hashPart() + ".narinfo", READER_TOKEN).statusCode()).isEqualTo(200);
    }

    @Test
    void aCallerWithoutAccessToAPathGets404ForItsNarinfoAndNar() throws IOException {
        List<String> paths = closure();
        assertThat(copyToHub("xz", WRITER_TOKEN, paths.get(2)).exitCode()).isZero();
        roots.put(READER_TOKEN, Set.of(StorePath.parse(paths.get(1)))); // b and a, not c
        StorePath a = StorePath.parse(paths.get(0));
        StorePath c = StorePath.parse(paths.get(2));
        String narOfA = storage.narInfo(a.hashPart()).orElseThrow().info().url();
        String narOfC = storage.narInfo(c.hashPart()).orElseThrow().info().url();

        assertThat(get("/" + a.hashPart() + ".narinfo", READER_TOKEN).statusCode()).isEqualTo(200);
        assertThat(get("/" + narOfA, READER_TOKEN).statusCode()).isEqualTo(200);
        assertThat(get("/" + c.hashPart() + ".narinfo", READER_TOKEN).statusCode()).isEqualTo(404);
        assertThat(get("/" + narOfC, READER_TOKEN).statusCode()).isEqualTo(404);
        for (String who : List.of(STRANGER_TOKEN, "")) {
            assertThat(get("/" + a.hashPart() + ".narinfo", who).statusCode()).isEqualTo(404);
            assertThat(get("/" + narOfA, who).statusCode()).isEqualTo(404);
        }
        assertThat(get("/nix-cache-info", "").body()).contains("StoreDir: /nix/store");
    }

    @Test
    void aNarThatDoesNotMatchItsNarHashIsRejectedAndNothingIsVisible() throws Exception {
        String a = closure().get(0);
        byte[] nar = nix.dump(nix.realPath(a));
        byte[] forged = nar.clone();
        forged[forged.length - 20] ^= 1; // still a NAR of the same size, other content
        Hash fileHash = Hash.sha256(forged);
        String fileName = fileHash.base32Digest() + ".nar";
        assertThat(put("/nar/" + fileName, forged, WRITER_TOKEN).statusCode()).isEqualTo(200);

        StorePath path = StorePath.parse(a);
        Hash narHash = Hash.sha256(nar);
        NarInfo info = new NarInfo(path, "nar/" + fileName, "none", java.util.Optional.of(fileHash), forged.length,
                narHash, nar.length, List.of(), java.util.Optional.empty(), java.util.Optional.empty(), List.of(),
                java.util.Optional.empty());
        HttpResponse<String> response = put("/" + path.hashPart() + ".narinfo",
                info.format().getBytes(StandardCharsets.UTF_8), WRITER_TOKEN);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains(a, narHash.toBase32(), Hash.sha256(forged).toBase32());
        assertThat(storage.contains(path)).isFalse();
        roots.put(READER_TOKEN, Set.of(path));
        assertThat(get("/" + path.hashPart() + ".narinfo", READER_TOKEN).statusCode()).isEqualTo(404);
        assertThat(get("/nar/" + fileName, READER_TOKEN).statusCode()).isEqualTo(404);
    }

    @Test
    void aNarinfoWhoseReferencesAreAbsentIsRejectedNamingThem() throws IOException {
        List<String> paths = closure();
        StorePath b = StorePath.parse(paths.get(1));
        byte[] nar = nix.dump(nix.realPath(paths.get(1)));
        Hash fileHash = Hash.sha256(nar);
        String fileName = fileHash.base32Digest() + ".nar";
        assertThat(put("/nar/" + fileName, nar, WRITER_TOKEN).statusCode()).isEqualTo(200);
        NarInfo info = new NarInfo(b, "nar/" + fileName, "none", java.util.Optional.of(fileHash), nar.length,
                fileHash, nar.length, List.of(StorePath.parse(paths.get(0))), java.util.Optional.empty(),
                java.util.Optional.empty(), List.of(), java.util.Optional.empty());

        HttpResponse<String> response = put("/" + b.hashPart() + ".narinfo", info.format().getBytes(StandardCharsets.UTF_8),
                WRITER_TOKEN);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains(paths.get(1), paths.get(0), "upload them first");
        assertThat(storage.contains(b)).isFalse();
    }

    @Test
    void aNarinfoWhoseNarWasNotUploadedIsRejected() throws IOException {
        String a = closure().get(0);
        byte[] nar = nix.dump(nix.realPath(a));
        Hash h = Hash.sha256(nar);
        NarInfo info = new NarInfo(StorePath.parse(a), "nar/" + h.base32Digest() + ".nar", "none", java.util.Optional.of(h),
                nar.length, h, nar.length, List.of(), java.util.Optional.empty(), java.util.Optional.empty(), List.of(),
                java.util.Optional.empty());
        HttpResponse<String> response = put("/" + StorePath.parse(a).hashPart() + ".narinfo",
                info.format().getBytes(StandardCharsets.UTF_8), WRITER_TOKEN);
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("was not uploaded");
        assertThat(storage.size()).isZero();
    }

    @Test
    void anUploadThatBreaksOffLeavesNothingAndARetrySucceeds() throws Exception {
        String a = closure().get(0);
        byte[] nar = nix.dump(nix.realPath(a));
        Hash h = Hash.sha256(nar);
        String fileName = h.base32Digest() + ".nar";
        String auth = "Basic " + Base64.getEncoder().encodeToString(("u:" + WRITER_TOKEN).getBytes(StandardCharsets.UTF_8));
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), app.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("PUT /cache/nar/" + fileName + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + auth
                    + "\r\nContent-Type: application/x-nix-nar\r\nContent-Length: " + nar.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(nar, 0, nar.length / 2);
            out.flush();
            Thread.sleep(200);
        } // the connection drops with half the body sent

        Path tmp = storage.root().resolve("tmp");
        long deadline = System.currentTimeMillis() + 10_000;
        while (countFiles(tmp) > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertThat(countFiles(tmp)).isZero();
        assertThat(countFiles(storage.root().resolve("incoming"))).isZero();
        assertThat(countFiles(storage.root().resolve("nar"))).isZero();

        assertThat(put("/nar/" + fileName, nar, WRITER_TOKEN).statusCode()).isEqualTo(200);
        NarInfo info = new NarInfo(StorePath.parse(a), "nar/" + fileName, "none", java.util.Optional.of(h), nar.length,
                h, nar.length, List.of(), java.util.Optional.empty(), java.util.Optional.empty(), List.of(),
                java.util.Optional.empty());
        assertThat(put("/" + StorePath.parse(a).hashPart() + ".narinfo", info.format().getBytes(StandardCharsets.UTF_8),
                WRITER_TOKEN).statusCode()).isEqualTo(200);
        assertThat(storage.contains(StorePath.parse(a))).isTrue();
    }

    @Test
    void aProcessKilledMidUploadLeavesNothingVisibleAfterRestart() throws IOException {
        String a = closure().get(0);
        byte[] nar = nix.dump(nix.realPath(a));
        app.stop();
        // what a kill leaves behind: a partial upload in tmp/ and a verified but unclaimed NAR in incoming/
        Path root = dir.resolve("data/cache");
        Files.write(root.resolve("tmp/partial.upload"), new byte[] {1, 2, 3});
        Files.write(root.resolve("incoming/" + Hash.sha256(nar).base32Digest() + ".nar"), nar);
        startHub();
        assertThat(countFiles(root.resolve("tmp"))).isZero();
        assertThat(storage.size()).isZero();
        roots.put(READER_TOKEN, Set.of(StorePath.parse(a)));
        assertThat(get("/nar/" + Hash.sha256(nar).base32Digest() + ".nar", READER_TOKEN).statusCode()).isEqualTo(404);
    }

    @Test
    void uploadingTheSamePathTwiceConcurrentlyKeepsOneRecord() throws Exception {
        String a = closure().get(0);
        byte[] nar = nix.dump(nix.realPath(a));
        Hash h = Hash.sha256(nar);
        String fileName = h.base32Digest() + ".nar";
        NarInfo info = new NarInfo(StorePath.parse(a), "nar/" + fileName, "none", java.util.Optional.of(h), nar.length,
                h, nar.length, List.of(), java.util.Optional.empty(), java.util.Optional.empty(), List.of(),
                java.util.Optional.empty());
        List<Thread> threads = new java.util.ArrayList<>();
        List<Integer> statuses = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int i = 0; i < 4; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                statuses.add(put("/nar/" + fileName, nar, WRITER_TOKEN).statusCode());
                statuses.add(put("/" + StorePath.parse(a).hashPart() + ".narinfo",
                        info.format().getBytes(StandardCharsets.UTF_8), WRITER_TOKEN).statusCode());
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(statuses).hasSize(8).containsOnly(200);
        assertThat(storage.size()).isEqualTo(1);
        assertThat(countFiles(storage.root().resolve("narinfo"))).isEqualTo(1);
        assertThat(countFiles(storage.root().resolve("nar"))).isEqualTo(1);
    }

    private static long countFiles(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.count();
        }
    }

    @Test
    void aHeadForAnUnreadableNarFileAnswers200OnlyToTheUploaderWhoSentIt() {
        // nix copy asks before it uploads a NAR: the one who sent it need not again; anyone else sends the bytes
        byte[] nar = "a nar nobody may read yet".getBytes(StandardCharsets.UTF_8);
        String file = "/nar/" + Hash.sha256(nar).base32Digest() + ".nar";
        assertThat(head(file, WRITER_TOKEN).statusCode()).isEqualTo(404);

        assertThat(put(file, nar, WRITER_TOKEN).statusCode()).isEqualTo(200);

        assertThat(head(file, WRITER_TOKEN).statusCode()).isEqualTo(200);
        assertThat(head(file, READER_TOKEN).statusCode()).isEqualTo(404);
        assertThat(head(file, "").statusCode()).isEqualTo(404);
    }

    private HttpResponse<String> head(String relative, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(cacheUrl() + relative));
        return send(withAuth(b, token).method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
    }

    private HttpResponse<String> get(String relative, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(cacheUrl() + relative));
        return send(withAuth(b, token).GET().build());
    }

    private HttpResponse<String> put(String relative, byte[] body, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(cacheUrl() + relative));
        return send(withAuth(b, token).PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    private static HttpRequest.Builder withAuth(HttpRequest.Builder b, String token) {
        if (!token.isEmpty()) {
            b.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString(("u:" + token).getBytes(StandardCharsets.UTF_8)));
        }
        return b;
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
