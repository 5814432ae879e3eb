package org.imageless.nix.nodestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.imageless.nix.NixException;
import org.imageless.nix.cache.BinaryCacheClient;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.store.StorePath;
import org.imageless.nix.testing.NixCacheFixture;
import org.imageless.nix.testing.TestCacheServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NodeStoreRealiseTest {

    @TempDir
    Path dir;

    @Test
    void realisesAClosureNixCopyWroteAndEveryPathDumpsToNixsBytes() throws IOException {
        NixCacheFixture fixture = new NixCacheFixture(dir);
        NodeStore store = NodeStore.open(dir.resolve("store"));
        StorePath root = StorePath.parse(fixture.root);
        try (TestCacheServer server = TestCacheServer.serving(fixture.cache("xz"));
             BinaryCacheClient client = TestCaches.client(server.uri(), fixture.key.publicKey())) {
            NodeStore.RealiseResult first = store.realise(client, List.of(root));
            assertThat(first.closure()).extracting(StorePath::toString)
                    .containsExactlyInAnyOrderElementsOf(fixture.closure());
            assertThat(first.fetched()).isEqualTo(first.closure());

            for (String p : fixture.closure()) {
                StorePath path = StorePath.parse(p);
                assertThat(store.isValid(path)).isTrue();
                ByteArrayOutputStream ours = new ByteArrayOutputStream();
                store.dump(path, ours);
                assertThat(Hash.sha256(ours.toByteArray()))
                        .as("NAR of %s", p)
                        .isEqualTo(Hash.sha256(fixture.nix.dump(fixture.nix.realPath(p))));
            }
            assertThat(store.verify()).isEmpty();
            assertThat(store.closure(List.of(root))).extracting(StorePath::toString)
                    .containsExactlyInAnyOrderElementsOf(fixture.closure());

            int requestsBefore = server.requests().size();
            NodeStore.RealiseResult again = store.realise(client, List.of(root));
            assertThat(again.fetched()).as("a second realise fetches nothing").isEmpty();
            assertThat(server.requests()).hasSize(requestsBefore);
        }
        assertThat(entries(dir.resolve("store/.tmp"))).as("no work left in .tmp").isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "malformed NAR (non-zero padding), 20, malformed",
        "changed file contents (valid NAR), 25, does not match its narinfo: NarHash expected"})
    void aTamperedNarLeavesNothingOfThatPathInTheStore(String what, int fromEnd, String expectedMessage)
            throws IOException {
        NixCacheFixture fixture = new NixCacheFixture(dir);
        Path cache = fixture.cache("none");
        StorePath leaf = StorePath.parse(fixture.leaf);
        try (Stream<Path> nars = Files.list(cache.resolve("nar"))) {
            for (Path nar : nars.toList()) {
                byte[] bytes = Files.readAllBytes(nar);
                bytes[bytes.length - fromEnd] ^= 1;
                Files.write(nar, bytes);
            }
        }
        NodeStore store = NodeStore.open(dir.resolve("store"));
        try (TestCacheServer server = TestCacheServer.serving(cache);
             BinaryCacheClient client = TestCaches.client(server.uri(), fixture.key.publicKey())) {
            assertThatThrownBy(() -> store.realise(client, List.of(leaf)))
                    .isInstanceOf(NixException.class)
                    .satisfies(e -> assertThat(((NixException) e).kind()).isEqualTo(NixException.Kind.CORRUPT))
                    .hasMessageContaining(leaf.toString())
                    .hasMessageContaining(expectedMessage);
        }
        assertThat(store.isValid(leaf)).isFalse();
        assertThat(entries(dir.resolve("store"))).allMatch(name -> name.startsWith("."));
        assertThat(entries(dir.resolve("store/.tmp"))).isEmpty();
    }

    @Test
    void concurrentProcessesAndThreadsDownloadEachPathOnce() throws Exception {
        NixCacheFixture fixture = new NixCacheFixture(dir);
        Path storeDir = dir.resolve("store");
        try (TestCacheServer server = TestCacheServer.serving(fixture.cache("zstd"))) {
            server.throttle(16 * 1024, java.time.Duration.ofMillis(5));
            List<Process> processes = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                processes.add(ChildJvm.start(RealiseMain.class, dir.resolve("child-" + i + ".log"),
                        server.uri().toString(), storeDir.toString(), fixture.key.publicKey(), fixture.root));
            }
            NodeStore store = NodeStore.open(storeDir);
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try (BinaryCacheClient client = TestCaches.client(server.uri(), fixture.key.publicKey())) {
                        store.realise(client, List.of(StorePath.parse(fixture.root)));
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            for (int i = 0; i < processes.size(); i++) {
                assertThat(processes.get(i).waitFor()).as(Files.readString(dir.resolve("child-" + i + ".log"))).isZero();
            }
            List<String> narRequests = server.requests().stream().filter(r -> r.contains("/nar/")).toList();
            assertThat(narRequests).as("one download per store path").doesNotHaveDuplicates()
                    .hasSize(fixture.closure().size());
            assertThat(store.verify()).isEmpty();
            assertThat(store.list()).hasSize(fixture.closure().size());
        }
    }

    static List<String> entries(Path d) throws IOException {
        if (!Files.exists(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    static Set<String> set(List<String> l) {
        return Set.copyOf(l);
    }
}
