package org.imageless.hub.environment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.util.Optional;
import org.imageless.hub.testing.RunningHub;
import org.imageless.nix.cache.BinaryCacheClient;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.narinfo.NarInfo;
import org.imageless.nix.sign.TrustedKeys;
import org.imageless.nix.store.StorePath;
import org.imageless.nix.testing.NixCacheFixture;
import org.imageless.nix.testing.RealNix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The binary cache serves the closures of the store paths locked by environments the caller may read,
 * and nobody can expose a private environment's paths by referencing them (upload, push, publish).
 */
class EnvironmentCacheTest {

    @TempDir
    Path tmp;

    @Test
    void lockedClosuresFollowTheEnvironmentsVisibilityAndCannotBeReferencedByOthers() throws Exception {
        try (RunningHub hub = RunningHub.start(tmp.resolve("hub"))) {
            String alice = hub.createUser("alice");
            String bob = hub.createUser("bob");
            NixCacheFixture nix = new NixCacheFixture(tmp.resolve("nix"));
            assertThat(copy(hub, nix, alice, nix.root).exitCode()).isZero();
            StorePath root = StorePath.parse(nix.root);
            try (BinaryCacheClient anonymous = client(hub, null); BinaryCacheClient asAlice = client(hub, alice);
                 BinaryCacheClient asBob = client(hub, bob)) {
                assertThat(anonymous.narInfo(root)).as("uploaded, not yet in any environment").isEmpty();

                String lock = RunningHub.lockOf("x86_64-linux", Map.of("tool", nix.root));
                hub.pushGeneration("alice", "app", RunningHub.manifestOf("x86_64-linux", List.of("tool")), lock, alice);
                assertThat(anonymous.closure(List.of(root))).hasSize(nix.closure().size());

                hub.setVisibility("alice", "app", "private", alice);
                assertThat(anonymous.narInfo(root)).isEmpty();
                assertThat(asBob.narInfo(StorePath.parse(nix.leaf))).isEmpty();
                assertThat(asAlice.closure(List.of(root))).hasSize(nix.closure().size());
            }

            // bob knows the private paths' names, but cannot make them his own
            String stolen = RunningHub.lockOf("x86_64-linux", Map.of("tool", nix.middle));
            assertThatThrownBy(() -> hub.pushGeneration("bob", "copy", RunningHub.manifestOf("x86_64-linux", List.of("tool")),
                    stolen, bob)).hasMessageContaining(nix.middle + " belongs to something you may not read");
            assertThatThrownBy(() -> hub.publishPackage("bob", "stolen", "1.0.0", Map.of("x86_64-linux", nix.middle), bob))
                    .hasMessageContaining("403").hasMessageContaining("publish only store paths you may read");
            // ... nor reference them in an upload without their bytes
            String referrer = nix.nix.addTextWithReferences("referrer", "refers to", nix.leaf);
            HttpResponse<String> byName = uploadWithoutReferences(hub, nix, bob, referrer);
            assertThat(byName.statusCode()).as(byName.body()).isEqualTo(403);
            assertThat(byName.body()).contains(nix.leaf).contains("which you may not read and whose NAR you did not upload");

            // bob holds the leaf's bytes, though: nix copy uploads the leaf it may not read, with its NAR, and
            // that proves it, so his own path may reference it; the leaf stays unreadable to him
            RealNix.Result holding = copy(hub, nix, bob, referrer);
            assertThat(holding.exitCode()).as(holding.stderr()).isZero();
            try (BinaryCacheClient asBob = client(hub, bob)) {
                assertThat(asBob.narInfo(StorePath.parse(nix.leaf))).isEmpty();
            }
            // the proof is bob's, whichever of his tokens: another of them references the leaf without its bytes
            String second = nix.nix.addTextWithReferences("second", "refers to", nix.leaf);
            HttpResponse<String> bobAgain = uploadWithoutReferences(hub, nix, hub.anotherToken("bob"), second);
            assertThat(bobAgain.statusCode()).as(bobAgain.body()).isEqualTo(200);
            // carol never sent the leaf's bytes
            String third = nix.nix.addTextWithReferences("third", "refers to", nix.leaf);
            HttpResponse<String> carol = uploadWithoutReferences(hub, nix, hub.createUser("carol"), third);
            assertThat(carol.statusCode()).as(carol.body()).isEqualTo(403);
            assertThat(carol.body()).contains("whose NAR you did not upload");

            // alice, who may read them, may reference them
            String mine = nix.nix.addTextWithReferences("mine", "refers to", nix.leaf);
            RealNix.Result ok = copy(hub, nix, alice, mine);
            assertThat(ok.exitCode()).as(ok.stderr()).isZero();
        }
    }

    /** Uploads {@code path}'s NAR and narinfo by hand, as a client that knows its references' names only would. */
    private static HttpResponse<String> uploadWithoutReferences(RunningHub hub, NixCacheFixture nix, String token, String path)
            throws Exception {
        byte[] nar = nix.nix.dump(nix.nix.realPath(path));
        Hash narHash = Hash.sha256(nar);
        StorePath storePath = StorePath.parse(path);
        List<StorePath> references = nix.nix.references(path).stream().map(StorePath::parse).toList();
        NarInfo info = new NarInfo(storePath, "nar/" + narHash.base32Digest() + ".nar", "none", Optional.of(narHash), nar.length,
                narHash, nar.length, references, Optional.empty(), Optional.empty(), List.of(), Optional.empty());
        String basic = "Basic " + Base64.getEncoder().encodeToString(("oauth:" + token).getBytes(StandardCharsets.UTF_8));
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> narPut = http.send(HttpRequest.newBuilder(URI.create(hub.url() + "/cache/" + info.url()))
                    .header("Authorization", basic).PUT(HttpRequest.BodyPublishers.ofByteArray(nar)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(narPut.statusCode()).as(narPut.body()).isEqualTo(200);
            return http.send(HttpRequest.newBuilder(URI.create(hub.url() + "/cache/" + storePath.hashPart() + ".narinfo"))
                    .header("Authorization", basic).PUT(HttpRequest.BodyPublishers.ofString(info.format())).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    private static BinaryCacheClient client(RunningHub hub, String token) {
        BinaryCacheClient.Builder b = BinaryCacheClient.builder(URI.create(hub.url() + "/cache"))
                .trustedKeys(TrustedKeys.of(hub.hub().signingKey().publicKey()));
        if (token != null) {
            b.token(token);
        }
        return b.build();
    }

    private RealNix.Result copy(RunningHub hub, NixCacheFixture nix, String token, String path) throws Exception {
        Path netrc = Files.writeString(tmp.resolve("netrc-" + System.nanoTime()), "machine 127.0.0.1\nlogin oauth\npassword " + token + "\n");
        // each user's nix keeps its own record of what the cache has, as on their own machines
        Path cache = tmp.resolve("xdg-cache-" + Integer.toHexString(token.hashCode()));
        return nix.nix.tryRun(List.of("nix", "copy", "--store", nix.nix.storeUri(), "--to", hub.url() + "/cache", path), null,
                Map.of("NIX_CONFIG", RealNix.NIX_CONFIG + "\nnetrc-file = " + netrc, "XDG_CACHE_HOME", cache.toString()));
    }
}
