package org.imageless.nix.nodestore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.imageless.nix.cache.BinaryCacheClient;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.nar.NarDigest;
import org.imageless.nix.nar.NarUnpacker;
import org.imageless.nix.store.StorePath;
import org.imageless.nix.testing.RealNix;
import org.imageless.nix.testing.TestCacheServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a realise with SIGKILL at random points, many times, and checks after each kill that no
 * partial store path is visible: every tree in the store is complete and has the NAR hash nix
 * computed. Then a realise completes and the store verifies.
 */
class NodeStoreCrashTest {

    private static final int KILLS = 25;

    @Test
    void sigkillAtRandomPointsNeverLeavesAPartialPathAndTheNextRealiseCompletes(@TempDir Path dir) throws Exception {
        RealNix nix = RealNix.in(dir);
        Path big = Files.createDirectories(dir.resolve("input/big/share"));
        Random random = new Random(1234);
        for (int i = 0; i < 4; i++) {
            byte[] data = new byte[2 << 20];
            random.nextBytes(data);
            Files.write(big.resolve("blob-" + i), data);
        }
        for (int i = 0; i < 200; i++) {
            Files.writeString(big.resolve("small-" + i), "small file " + i);
        }
        String bigPath = nix.add(dir.resolve("input/big"));
        String other = nix.add(Files.writeString(dir.resolve("input/other"), "another leaf"));
        String mid = nix.addTextWithReferences("mid", "mid uses", bigPath, other);
        String root = nix.addTextWithReferences("root", "root uses", mid);
        RealNix.KeyPair key = nix.generateKey("crash-test-1", Files.createDirectories(dir.resolve("keys")));
        nix.sign(key.secretFile(), root);
        Path cache = dir.resolve("cache");
        nix.copyTo("file://" + cache + "?compression=none", root);
        List<String> closure = List.of(nix.runText("nix-store", "--store", nix.storeUri(), "-qR", root).split("\n"));
        Map<String, Hash> expected = new HashMap<>();
        for (String p : closure) {
            expected.put(StorePath.parse(p).baseName(), Hash.parse(nix.hashPath(nix.realPath(p))));
        }

        Path storeDir = dir.resolve("store");
        try (TestCacheServer server = TestCacheServer.serving(cache)) {
            server.throttle(64 * 1024, Duration.ofMillis(2));
            long fullRun = timeOneRealise(dir, server, key, root);
            int killedMidway = 0;
            for (int i = 0; i < KILLS; i++) {
                Process child = ChildJvm.start(RealiseMain.class, dir.resolve("kill-" + i + ".log"),
                        server.uri().toString(), storeDir.toString(), key.publicKey(), root);
                // within the first 60% of a measured run: a run timed on a busy machine may be much slower than
                // the next, and kills after the end prove nothing
                Thread.sleep(random.nextLong(Math.max(1, fullRun * 6 / 10)));
                child.destroyForcibly();
                child.waitFor(30, TimeUnit.SECONDS);
                if (child.exitValue() != 0) {
                    killedMidway++;
                }
                assertNoPartialPath(storeDir, expected);
                wipeValidPathsSometimes(storeDir, random);
            }
            assertThat(killedMidway).as("most kills land before the realise finished").isGreaterThan(KILLS / 2);

            NodeStore store = NodeStore.open(storeDir);
            try (BinaryCacheClient client = TestCaches.client(server.uri(), key.publicKey())) {
                NodeStore.RealiseResult result = store.realise(client, List.of(StorePath.parse(root)));
                assertThat(result.closure()).extracting(StorePath::toString).containsExactlyInAnyOrderElementsOf(closure);
            }
            assertThat(store.verify()).isEmpty();
            assertThat(store.list()).hasSize(closure.size());
            assertThat(NodeStoreRealiseTest.entries(storeDir.resolve(".tmp"))).as("leftovers cleaned").isEmpty();
        }
    }

    /** Every tree in the store is complete: its NAR hash is the one nix computed. */
    private static void assertNoPartialPath(Path storeDir, Map<String, Hash> expected) throws IOException {
        for (String name : NodeStoreRealiseTest.entries(storeDir)) {
            if (name.startsWith(".")) {
                continue;
            }
            assertThat(expected).as("unexpected entry %s", name).containsKey(name);
            assertThat(NarDigest.of(storeDir.resolve(name)).narHash()).as("tree %s is complete", name)
                    .isEqualTo(expected.get(name));
        }
        for (String name : NodeStoreRealiseTest.entries(storeDir.resolve(".meta"))) {
            if (!name.startsWith(".")) {
                assertThat(storeDir.resolve(name)).as("registered %s exists", name).existsNoFollowLinks();
            }
        }
    }

    /** Now and then start from a half-filled store again, so kills land in every phase. */
    private static void wipeValidPathsSometimes(Path storeDir, Random random) throws IOException {
        if (random.nextInt(3) == 0 && Files.exists(storeDir)) {
            NarUnpacker.deleteTree(storeDir);
        }
    }

    private static long timeOneRealise(Path dir, TestCacheServer server, RealNix.KeyPair key, String root)
            throws Exception {
        Path scratch = dir.resolve("timing-store");
        long start = System.nanoTime();
        Process p = ChildJvm.start(RealiseMain.class, dir.resolve("timing.log"),
                server.uri().toString(), scratch.toString(), key.publicKey(), root);
        assertThat(p.waitFor()).as(Files.readString(dir.resolve("timing.log"))).isZero();
        NarUnpacker.deleteTree(scratch);
        return Math.max(200, (System.nanoTime() - start) / 1_000_000);
    }
}
