package org.imageless.hub.environment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.imageless.hub.testing.RunningHub;
import org.imageless.nix.cache.BinaryCacheClient;
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
            String referrer = nix.nix.addTextWithReferences("referrer", "refers to", nix.leaf);
            RealNix.Result upload = copy(hub, nix, bob, referrer);
            assertThat(upload.exitCode()).isNotZero();
            assertThat(upload.stderr()).contains("403");

            // alice, who may read them, may reference them
            String mine = nix.nix.addTextWithReferences("mine", "refers to", nix.leaf);
            RealNix.Result ok = copy(hub, nix, alice, mine);
            assertThat(ok.exitCode()).as(ok.stderr()).isZero();
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
        return nix.nix.tryRun(List.of("nix", "copy", "--store", nix.nix.storeUri(), "--to", hub.url() + "/cache", path), null,
                Map.of("NIX_CONFIG", RealNix.NIX_CONFIG + "\nnetrc-file = " + netrc));
    }
}
