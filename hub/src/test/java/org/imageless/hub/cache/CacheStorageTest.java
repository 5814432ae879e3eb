package org.imageless.hub.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.imageless.nix.NixException;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.narinfo.NarInfo;
import org.imageless.nix.sign.SigningKey;
import org.imageless.nix.store.StorePath;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The storage's rules without HTTP; NAR bodies are opaque bytes here (only their hashes matter to it). */
class CacheStorageTest {

    private static final StorePath A = StorePath.parse("/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a");
    private static final StorePath B = StorePath.parse("/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b");
    private static final StorePath C = StorePath.parse("/nix/store/cccccccccccccccccccccccccccccccc-c");
    private static final StorePath D = StorePath.parse("/nix/store/dddddddddddddddddddddddddddddddd-d");

    @TempDir
    Path dir;

    private CacheStorage storage;

    @BeforeEach
    void open() {
        storage = CacheStorage.open(dir, SigningKey.generate("hub-1"));
    }

    private NarInfo upload(StorePath path, String content, StorePath... refs) throws IOException {
        byte[] nar = content.getBytes(StandardCharsets.UTF_8);
        Hash h = Hash.sha256(nar);
        String file = h.base32Digest() + ".nar";
        storage.putNar(file, new ByteArrayInputStream(nar));
        NarInfo info = new NarInfo(path, "nar/" + file, "none", Optional.of(h), nar.length, h, nar.length, List.of(refs),
                Optional.empty(), Optional.empty(), List.of(), Optional.empty());
        return storage.putNarInfo(path.hashPart(), new ByteArrayInputStream(info.format().getBytes(StandardCharsets.UTF_8)))
                .entry().info();
    }

    /** A narinfo of {@code path} with the NarHash and NarSize of {@code nar}, naming the file of {@code fileBytes}. */
    private CacheStorage.Accepted uploadNaming(StorePath path, byte[] nar, byte[] fileBytes) throws IOException {
        Hash fileHash = Hash.sha256(fileBytes);
        String file = fileHash.base32Digest() + ".nar";
        storage.putNar(file, new ByteArrayInputStream(fileBytes));
        NarInfo info = new NarInfo(path, "nar/" + file, "none", Optional.of(fileHash), fileBytes.length, Hash.sha256(nar), nar.length,
                List.of(), Optional.empty(), Optional.empty(), List.of(), Optional.empty());
        return storage.putNarInfo(path.hashPart(), new ByteArrayInputStream(info.format().getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void uploadingAPathAgainTellsWhetherTheNamedFileHoldsItsNar() throws IOException {
        byte[] nar = "the nar".getBytes(StandardCharsets.UTF_8);
        assertThat(uploadNaming(A, nar, nar).holdsNar()).as("first upload").isTrue();

        assertThat(uploadNaming(A, nar, nar).holdsNar()).as("again, the same file").isTrue();
        // right NarHash, but a file of other bytes: a no-op that proves nothing
        CacheStorage.Accepted junk = uploadNaming(A, nar, "junk".getBytes(StandardCharsets.UTF_8));
        assertThat(junk.holdsNar()).isFalse();
        assertThat(junk.entry().info().url()).isEqualTo("nar/" + Hash.sha256(nar).base32Digest() + ".nar");
    }

    @Test
    void aNarAlreadyInTheCacheIsStillHashedWhenUploadedAgain() throws IOException {
        byte[] nar = "kept".getBytes(StandardCharsets.UTF_8);
        upload(A, "kept");
        String file = Hash.sha256(nar).base32Digest() + ".nar";
        storage.putNar(file, new ByteArrayInputStream(nar));
        assertThatThrownBy(() -> storage.putNar(file, new ByteArrayInputStream("not it".getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(NixException.class).hasMessageContaining("expected sha256:" + file.substring(0, 52));
        assertThat(storage.narFile(file)).isPresent();
    }

    @Test
    void uploadsOfOnePathThatRaceEachOtherAllSucceedWithOneRecord() throws Exception {
        // nix copy from several machines at once: a narinfo may look for its NAR in incoming/ just as another
        // upload of the same path publishes it to nar/
        for (int round = 0; round < 30; round++) {
            CacheStorage fresh = CacheStorage.open(dir.resolve("race-" + round), SigningKey.generate("hub-1"));
            StorePath path = StorePath.parse("/nix/store/" + "abcdfghijklmnpqrsvwxyz0123456789".substring(0, 31) + (round % 10) + "-race");
            byte[] nar = ("race " + round).getBytes(StandardCharsets.UTF_8);
            Hash h = Hash.sha256(nar);
            String file = h.base32Digest() + ".nar";
            byte[] info = new NarInfo(path, "nar/" + file, "none", Optional.of(h), nar.length, h, nar.length, List.of(),
                    Optional.empty(), Optional.empty(), List.of(), Optional.empty()).format().getBytes(StandardCharsets.UTF_8);
            List<java.util.concurrent.Future<?>> uploads = new java.util.ArrayList<>();
            try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 8; i++) {
                    uploads.add(pool.submit(() -> {
                        fresh.putNar(file, new ByteArrayInputStream(nar));
                        return fresh.putNarInfo(path.hashPart(), new ByteArrayInputStream(info)).entry();
                    }));
                }
            }
            for (var u : uploads) {
                u.get(); // throws if an upload was refused
            }
            assertThat(fresh.size()).isEqualTo(1);
            assertThat(fresh.narFile(file)).isPresent();
        }
    }

    @Test
    void closureFollowsReferencesAndLeavesOutAbsentRoots() throws IOException {
        upload(A, "a");
        upload(B, "b", A, B); // a self-reference is allowed, as in Nix
        upload(C, "c", B);

        assertThat(storage.closureOf(List.of(C))).containsExactlyInAnyOrder(A, B, C);
        assertThat(storage.closureOf(List.of(B, D))).containsExactlyInAnyOrder(A, B);
        assertThat(storage.closureOf(List.of(D))).isEmpty();
    }

    @Test
    void twoPathsWithTheSameNarShareOneFileAndEitherGrantsReadingIt() throws IOException {
        NarInfo a = upload(A, "same");
        NarInfo d = upload(D, "same");
        String file = a.url().substring("nar/".length());
        assertThat(d.url()).isEqualTo(a.url());
        assertThat(storage.pathsOfNarFile(file)).containsExactlyInAnyOrder(A, D);

        CacheAccess<String> onlyD = CacheAccess.byRoots(storage, p -> Set.of(D), p -> UploadPermission.FORBIDDEN);
        assertThat(onlyD.canRead("x", D)).isTrue();
        assertThat(onlyD.canRead("x", A)).isFalse();
    }

    @Test
    void anUploadedNarIsNotServedUntilANarinfoNamesIt() throws IOException {
        byte[] nar = "lonely".getBytes(StandardCharsets.UTF_8);
        String file = Hash.sha256(nar).base32Digest() + ".nar";
        storage.putNar(file, new ByteArrayInputStream(nar));
        assertThat(storage.narFile(file)).isEmpty();
        assertThat(storage.pathsOfNarFile(file)).isEmpty();
    }

    @Test
    void aNarWhoseBytesDoNotMatchTheHashInItsNameIsRefused() {
        String file = Hash.sha256("other".getBytes(StandardCharsets.UTF_8)).base32Digest() + ".nar.xz";
        assertThatThrownBy(() -> storage.putNar(file, new ByteArrayInputStream("this".getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(NixException.class).hasMessageContaining("expected " + "sha256:" + file.substring(0, 52));
    }

    @Test
    void aNarFileNameThatIsNotAHashIsRefused() {
        assertThatThrownBy(() -> storage.putNar("../../etc/passwd", new ByteArrayInputStream(new byte[0])))
                .isInstanceOf(NixException.class).hasMessageContaining("'../../etc/passwd'");
    }

    @Test
    void aSecondUploadWithAnotherNarHashIsRefusedAndTheFirstStays() throws IOException {
        NarInfo first = upload(A, "first");
        assertThatThrownBy(() -> upload(A, "second"))
                .isInstanceOf(NixException.class).hasMessageContaining("write-once");
        assertThat(storage.narInfo(A.hashPart()).orElseThrow().info()).isEqualTo(first);
    }

    @Test
    void everyAcceptedNarinfoCarriesTheHubSignature() throws IOException {
        NarInfo a = upload(A, "a");
        assertThat(a.sigs()).hasSize(1);
        assertThat(storage.signingKey().publicKey().verify(a.fingerprint(), a.sigs().getFirst())).isTrue();
    }
}
