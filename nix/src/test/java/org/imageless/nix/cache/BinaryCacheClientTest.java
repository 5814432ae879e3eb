package org.imageless.nix.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.imageless.nix.NixException;
import org.imageless.nix.NixException.Kind;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.hash.HashAlgorithm;
import org.imageless.nix.narinfo.NarInfo;
import org.imageless.nix.sign.PublicKey;
import org.imageless.nix.sign.SigningKey;
import org.imageless.nix.sign.TrustedKeys;
import org.imageless.nix.store.StorePath;
import org.imageless.nix.testing.NixCacheFixture;
import org.imageless.nix.testing.TestCacheServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

class BinaryCacheClientTest {

    static final List<String> COMPRESSIONS = NixCacheFixture.COMPRESSIONS;

    @TempDir
    static Path dir;
    static NixCacheFixture fixture;
    static TrustedKeys nixKey;

    @BeforeAll
    static void buildCaches() {
        fixture = new NixCacheFixture(dir);
        nixKey = TrustedKeys.of(PublicKey.parse(fixture.key.publicKey()));
    }

    private static BinaryCacheClient.Builder client(URI uri) {
        return BinaryCacheClient.builder(uri).trustedKeys(nixKey)
                .retries(3, Duration.ofMillis(10), Duration.ofMillis(50));
    }

    /** A private copy of the cache nix wrote, so a test may damage it. */
    private static Path copyOf(String compression, Path into) throws IOException {
        Path src = fixture.cache(compression);
        try (var files = Files.walk(src)) {
            for (Path p : files.toList()) {
                Path target = into.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return into;
    }

    @ParameterizedTest(name = "compression={0}")
    @FieldSource("COMPRESSIONS")
    void fetchesTheClosureAndEveryNarEqualsNixStoreDump(String compression) {
        List<StorePath> seenStarted = new CopyOnWriteArrayList<>();
        List<StorePath> seenFinished = new CopyOnWriteArrayList<>();
        Map<StorePath, Long> lastProgress = new ConcurrentHashMap<>();
        TransferListener listener = new TransferListener() {
            @Override
            public void started(StorePath path, long expectedBytes) {
                seenStarted.add(path);
            }

            @Override
            public void progressed(StorePath path, long bytesSoFar) {
                lastProgress.put(path, bytesSoFar);
            }

            @Override
            public void finished(StorePath path) {
                seenFinished.add(path);
            }
        };
        try (TestCacheServer server = TestCacheServer.serving(fixture.cache(compression));
             BinaryCacheClient cache = client(server.uri()).listener(listener).build()) {
            assertThat(cache.cacheInfo()).isEqualTo(new CacheInfo("/nix/store", false, 50));
            Map<StorePath, NarInfo> closure = cache.closure(List.of(StorePath.parse(fixture.root)));
            assertThat(closure.keySet()).map(StorePath::toString)
                    .containsExactlyInAnyOrderElementsOf(fixture.closure());
            for (NarInfo info : closure.values()) {
                assertThat(info.compression()).isEqualTo(compression);
                MessageDigest sha = HashAlgorithm.SHA256.newDigest();
                cache.fetchNar(info, nar -> nar.transferTo(new DigestOutputStream(OutputStream.nullOutputStream(), sha)));
                Hash expected = Hash.sha256(fixture.nix.dump(fixture.nix.realPath(info.storePath().toString())));
                assertThat(new Hash(HashAlgorithm.SHA256, sha.digest())).as("NAR of %s", info.storePath())
                        .isEqualTo(expected);
                assertThat(lastProgress.get(info.storePath())).isEqualTo(info.narSize());
            }
            assertThat(seenStarted).containsExactlyInAnyOrderElementsOf(closure.keySet());
            assertThat(seenFinished).containsExactlyInAnyOrderElementsOf(closure.keySet());
        }
    }

    @Test
    void readsAFileCacheDirectoryToo() {
        try (BinaryCacheClient cache = client(fixture.cache("xz").toUri()).build()) {
            Map<StorePath, NarInfo> closure = cache.closure(List.of(StorePath.parse(fixture.root)));
            assertThat(closure).hasSize(fixture.closure().size());
            NarInfo leaf = closure.get(StorePath.parse(fixture.leaf));
            List<byte[]> got = new ArrayList<>();
            cache.fetchNar(leaf, nar -> got.add(nar.readAllBytes()));
            assertThat(got.getFirst()).isEqualTo(fixture.nix.dump(fixture.nix.realPath(fixture.leaf)));
            assertThat(cache.narInfo(StorePath.parse("/nix/store/00000000000000000000000000000000-absent"))).isEmpty();
        }
    }

    @Test
    void narinfoAnswered404Or403IsAbsentAnd401IsDenied() {
        StorePath leaf = StorePath.parse(fixture.leaf);
        try (TestCacheServer server = TestCacheServer.serving(fixture.cache("none"));
             BinaryCacheClient cache = client(server.uri()).build()) {
            assertThat(cache.narInfo(StorePath.parse("/nix/store/00000000000000000000000000000000-absent"))).isEmpty();
            server.answer(NarInfo.fileName(leaf), 403);
            assertThat(cache.narInfo(leaf)).isEmpty();
            server.answer(NarInfo.fileName(leaf), 401);
            assertThatThrownBy(() -> cache.narInfo(leaf)).isInstanceOf(NixException.class)
                    .satisfies(e -> assertThat(((NixException) e).kind()).isEqualTo(Kind.DENIED))
                    .hasMessageContaining("HTTP 401").hasMessageContaining(NarInfo.fileName(leaf));
            assertThat(cache.narInfo(leaf)).isPresent();
        }
    }

    @Test
    void serverErrorsAreRetriedThenSucceed() {
        StorePath root = StorePath.parse(fixture.root);
        try (TestCacheServer server = TestCacheServer.serving(fixture.cache("zstd"));
             BinaryCacheClient cache = client(server.uri()).build()) {
            server.answer(NarInfo.fileName(root), 500, 503);
            NarInfo info = cache.narInfo(root).orElseThrow();
            server.answer(info.url(), 502);
            AtomicInteger calls = new AtomicInteger();
            cache.fetchNar(info, nar -> {
                calls.incrementAndGet();
                nar.transferTo(OutputStream.nullOutputStream());
            });
            assertThat(calls).hasValue(1);
            assertThat(server.requests().stream().filter(r -> r.endsWith(NarInfo.fileName(root)))).hasSize(3);
        }
    }

    @Test
    void persistentServerErrorsBecomeUnavailableAfterTheRetries() {
        StorePath root = StorePath.parse(fixture.root);
        try (TestCacheServer server = TestCacheServer.serving(fixture.cache("none"));
             BinaryCacheClient cache = client(server.uri()).build()) {
            server.answer(NarInfo.fileName(root), 500, 500, 500);
            assertThatThrownBy(() -> cache.narInfo(root))
                    .satisfies(e -> assertThat(((NixException) e).kind()).isEqualTo(Kind.UNAVAILABLE))
                    .hasMessageContaining("after 3 attempts").hasMessageContaining("HTTP 500");
        }
    }

    @Test
    void connectionRefusedIsRetriedThenUnavailable() throws IOException {
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (BinaryCacheClient cache = client(URI.create("http://127.0.0.1:" + port + "/c")).build()) {
            assertThatThrownBy(() -> cache.narInfo(StorePath.parse(fixture.root)))
                    .satisfies(e -> assertThat(((NixException) e).kind()).isEqualTo(Kind.UNAVAILABLE))
                    .hasMessageContaining("after 3 attempts");
        }
    }

    @ParameterizedTest(name = "compression={0}")
    @FieldSource("COMPRESSIONS")
    void aTamperedNarIsCorruptNamingPathExpectedAndActualHash(String compression, @TempDir Path tmp) throws IOException {
        Path copy = copyOf(compression, tmp.resolve("cache"));
        StorePath middle = StorePath.parse(fixture.middle);
        try (TestCacheServer server = TestCacheServer.serving(copy);
             BinaryCacheClient cache = client(server.uri()).build()) {
            NarInfo info = cache.narInfo(middle).orElseThrow();
            Path nar = copy.resolve(info.url());
            byte[] bytes = Files.readAllBytes(nar);
            bytes[bytes.length / 2] ^= 0x01;
            Files.write(nar, bytes);
            assertThatThrownBy(() -> cache.fetchNar(info, in -> in.transferTo(OutputStream.nullOutputStream())))
                    .isInstanceOf(NixException.class)
                    .satisfies(e -> assertThat(((NixException) e).kind()).isEqualTo(Kind.CORRUPT))
                    .hasMessageContaining(middle.toString())
                    .hasMessageContaining("expected " + info.fileHash().orElseThrow().toBase32())
                    .hasMessageContaining("actual " + Hash.sha256(bytes).toBase32());
        }
    }

    @Test
    void aNarWithTheRightSizeButWrongHashNamesExpectedAndActual(@TempDir Path tmp) throws IOException {
        Path copy = copyOf("none", tmp.resolve("cache"));
        StorePath leaf = StorePath.parse(fixture.leaf);
        try (TestCacheServer server = TestCacheServer.serving(copy);
             BinaryCacheClient cache = client(server.uri()).build()) {
            NarInfo info = cache.narInfo(leaf).orElseThrow();
            Path nar = copy.resolve(info.url());
            byte[] bytes = Files.readAllBytes(nar);
            bytes[bytes.length - 20] ^= 0x01;
            Files.write(nar, bytes);
            String actual = Hash.sha256(bytes).toBase32();
            assertThatThrownBy(() -> cache.fetchNar(info, in -> in.transferTo(OutputStream.nullOutputStream())))
                    .satisfies(e -> assertThat(((NixException) e).kind()).isEqualTo(Kind.CORRUPT))
                    .hasMessageContaining(leaf.toString())
                    .hasMessageContaining("NarHash expected " + info.narHash().toBase32())
                    .hasMessageContaining("actual " + actual);
        }
    }

    @Test
    void aNarinfoSignedOnlyByAnUntrustedKeyIsCorrupt(@TempDir Path tmp) throws IOException {
        Path copy = copyOf("xz", tmp.resolve("cache"));
        StorePath leaf = StorePath.parse(fixture.leaf);
        Path file = copy.resolve(NarInfo.fileName(leaf));
        NarInfo original = NarInfo.parse(Files.readString(file));
        SigningKey stranger = SigningKey.generate("stranger-1");
        Files.writeString(file, original.withSignatures(List.of(stranger.sign(original.fingerprint()))).format());
        try (TestCacheServer server = TestCacheServer.serving(copy);
             BinaryCacheClient cache = client(server.uri()).build()) {
            assertThatThrownBy(() -> cache.narInfo(leaf))
                    .satisfies(e -> assertThat(((NixException) e).kind()).isEqualTo(Kind.CORRUPT))
                    .hasMessageContaining(leaf.toString())
                    .hasMessageContaining("trusted keys tried: nix-test-key-1")
                    .hasMessageContaining("signatures by: stranger-1");
        }
        try (BinaryCacheClient trustsStranger = client(copy.toUri())
                .trustedKeys(TrustedKeys.of(stranger.publicKey())).build()) {
            assertThat(trustsStranger.narInfo(leaf)).isPresent();
        }
    }

    @Test
    void aNarinfoWhoseSignedFieldsWereChangedIsCorrupt(@TempDir Path tmp) throws IOException {
        Path copy = copyOf("none", tmp.resolve("cache"));
        StorePath leaf = StorePath.parse(fixture.leaf);
        Path file = copy.resolve(NarInfo.fileName(leaf));
        Files.writeString(file, Files.readString(file).replaceFirst("NarSize: (\\d+)", "NarSize: 1$1"));
        try (BinaryCacheClient cache = client(copy.toUri()).build()) {
            assertThatThrownBy(() -> cache.narInfo(leaf)).hasMessageContaining("no valid signature");
        }
        try (BinaryCacheClient unsigned = BinaryCacheClient.builder(copy.toUri()).acceptUnsigned().build()) {
            assertThat(unsigned.narInfo(leaf)).isPresent();
        }
    }

    @Test
    void aNarinfoForAnotherPathIsCorrupt(@TempDir Path tmp) throws IOException {
        Path copy = copyOf("none", tmp.resolve("cache"));
        StorePath leaf = StorePath.parse(fixture.leaf);
        StorePath root = StorePath.parse(fixture.root);
        Files.copy(copy.resolve(NarInfo.fileName(root)), copy.resolve(NarInfo.fileName(leaf)),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (BinaryCacheClient cache = client(copy.toUri()).build()) {
            assertThatThrownBy(() -> cache.narInfo(leaf))
                    .satisfies(e -> assertThat(((NixException) e).kind()).isEqualTo(Kind.CORRUPT))
                    .hasMessageContaining("is for " + root).hasMessageContaining("expected " + leaf);
        }
    }

    @Test
    void aMissingPathInTheClosureIsNotFoundNamingWhoReferencesIt(@TempDir Path tmp) throws IOException {
        Path copy = copyOf("none", tmp.resolve("cache"));
        StorePath leaf = StorePath.parse(fixture.leaf);
        Files.delete(copy.resolve(NarInfo.fileName(leaf)));
        try (BinaryCacheClient cache = client(copy.toUri()).build()) {
            assertThatThrownBy(() -> cache.closure(List.of(StorePath.parse(fixture.root))))
                    .satisfies(e -> assertThat(((NixException) e).kind()).isEqualTo(Kind.NOT_FOUND))
                    .hasMessageContaining("store path " + leaf + " (referenced by " + fixture.middle + ")");
            StorePath absent = StorePath.parse("/nix/store/00000000000000000000000000000000-absent");
            assertThatThrownBy(() -> cache.closure(List.of(absent)))
                    .hasMessageContaining("store path " + absent + " is not in binary cache");
        }
    }

    @Test
    void aDownloadThatBreaksOffIsRetriedAndTheConsumerCalledAgain(@TempDir Path tmp) throws IOException {
        StorePath middle = StorePath.parse(fixture.middle);
        try (TestCacheServer server = TestCacheServer.serving(fixture.cache("none"));
             BinaryCacheClient cache = client(server.uri()).build()) {
            NarInfo info = cache.narInfo(StorePath.parse(fixture.root)).orElseThrow();
            NarInfo mid = cache.narInfo(middle).orElseThrow();
            List<Integer> attempts = new ArrayList<>();
            // the first attempt's stream fails part-way as a dropped connection would
            server.truncateNext(mid.url(), 10);
            List<byte[]> results = Collections.synchronizedList(new ArrayList<>());
            cache.fetchNar(mid, nar -> {
                attempts.add(attempts.size() + 1);
                results.add(nar.readAllBytes());
            });
            assertThat(attempts).containsExactly(1, 2);
            assertThat(results.getLast()).isEqualTo(fixture.nix.dump(fixture.nix.realPath(fixture.middle)));
            assertThat(info).isNotNull();
        }
    }

    @Test
    void aConsumerThatStopsEarlyIsAnError() {
        try (BinaryCacheClient cache = client(fixture.cache("none").toUri()).build()) {
            NarInfo info = cache.narInfo(StorePath.parse(fixture.leaf)).orElseThrow();
            assertThatThrownBy(() -> cache.fetchNar(info, nar -> nar.readNBytes(10)))
                    .hasMessageContaining("has data beyond byte 10 where the reader stopped");
        }
    }

    @Test
    void aConsumersOwnFailureIsNotRetried() {
        try (BinaryCacheClient cache = client(fixture.cache("none").toUri()).build()) {
            NarInfo info = cache.narInfo(StorePath.parse(fixture.leaf)).orElseThrow();
            AtomicInteger calls = new AtomicInteger();
            assertThatThrownBy(() -> cache.fetchNar(info, nar -> {
                calls.incrementAndGet();
                throw new IOException("disk full");
            })).satisfies(e -> assertThat(((NixException) e).kind()).isEqualTo(Kind.IO)).hasMessageContaining("disk full");
            assertThat(calls).hasValue(1);
        }
    }

    @Test
    void sendsCredentialsAsBasicAuthAndNeverShowsThem() {
        String token = "s3cr3t-token-value";
        String header = "Basic " + java.util.Base64.getEncoder()
                .encodeToString(("oauth:" + token).getBytes(StandardCharsets.UTF_8));
        StorePath leaf = StorePath.parse(fixture.leaf);
        try (TestCacheServer server = TestCacheServer.serving(fixture.cache("none"))) {
            server.requireAuthorization(header);
            try (BinaryCacheClient anonymous = client(server.uri()).build()) {
                assertThatThrownBy(() -> anonymous.narInfo(leaf))
                        .satisfies(e -> assertThat(((NixException) e).kind()).isEqualTo(Kind.DENIED));
            }
            try (BinaryCacheClient wrong = client(server.uri()).token("wrong-" + token).build()) {
                assertThatThrownBy(() -> wrong.narInfo(leaf)).satisfies(e -> assertThat(e.getMessage())
                        .doesNotContain(token).doesNotContain(header.substring(6)));
            }
            try (BinaryCacheClient authed = client(server.uri()).token(token).build()) {
                NarInfo info = authed.narInfo(leaf).orElseThrow();
                authed.fetchNar(info, nar -> nar.transferTo(OutputStream.nullOutputStream()));
            }
        }
    }

    @Test
    void refusesUnsupportedCompressionBeforeDownloading() {
        NarInfo br = NarInfo.parse("""
                StorePath: /nix/store/4kvnn09jkkzjp059mmwpxfz5bcxm08h3-t
                URL: nar/x.nar.br
                Compression: br
                NarHash: sha256:0wpyr7iyfic1hc1wikbakgikpvf54qx17hncx2l4f3knm5n7k53y
                NarSize: 168
                References: \n""");
        try (BinaryCacheClient cache = BinaryCacheClient.builder(dir.toUri()).acceptUnsigned().build()) {
            assertThatThrownBy(() -> cache.fetchNar(br, InputStream::readAllBytes))
                    .hasMessageContaining("compression 'br' is not supported");
        }
    }

    @Test
    void refusesNarUrlsThatLeaveTheCache() {
        for (String url : List.of("../../etc/passwd", "/etc/passwd", "http://elsewhere/x.nar", "nar/../../x")) {
            NarInfo evil = NarInfo.parse("""
                    StorePath: /nix/store/4kvnn09jkkzjp059mmwpxfz5bcxm08h3-t
                    URL: %s
                    Compression: none
                    NarHash: sha256:0wpyr7iyfic1hc1wikbakgikpvf54qx17hncx2l4f3knm5n7k53y
                    NarSize: 168
                    References: \n""".formatted(url));
            try (BinaryCacheClient cache = BinaryCacheClient.builder(dir.toUri()).acceptUnsigned().build()) {
                assertThatThrownBy(() -> cache.fetchNar(evil, InputStream::readAllBytes))
                        .hasMessageContaining("URL '" + url + "', expected a relative path inside the cache");
            }
        }
    }

    @Test
    void requiresTrustedKeysUnlessToldToAcceptUnsigned() {
        assertThatThrownBy(() -> BinaryCacheClient.builder(URI.create("https://cache.example.org")).build())
                .hasMessageContaining("no trusted public keys").hasMessageContaining("acceptUnsigned()");
        assertThatThrownBy(() -> BinaryCacheClient.builder(URI.create("https://u:tok@cache.example.org")))
                .hasMessageContaining("must not contain credentials").hasMessageNotContaining("tok");
        assertThatThrownBy(() -> BinaryCacheClient.builder(URI.create("s3://bucket")))
                .hasMessageContaining("must start with http://, https:// or file://");
    }

    @Test
    void rejectsACacheForAnotherStoreDir(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("nix-cache-info"), "StoreDir: /gnu/store\nWantMassQuery: 1\nPriority: 30\n");
        try (BinaryCacheClient cache = BinaryCacheClient.builder(tmp.toUri()).acceptUnsigned().build()) {
            assertThatThrownBy(cache::cacheInfo).hasMessageContaining("'/gnu/store', not '/nix/store'");
        }
        Files.writeString(tmp.resolve("nix-cache-info"), "StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 30\n");
        try (BinaryCacheClient cache = BinaryCacheClient.builder(tmp.toUri()).acceptUnsigned().build()) {
            assertThat(cache.cacheInfo()).isEqualTo(new CacheInfo("/nix/store", true, 30));
        }
    }

}
