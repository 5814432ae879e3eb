package org.imageless.hub.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.imageless.hub.Hub;
import org.imageless.hub.account.Role;
import org.imageless.hub.auth.Expiry;
import org.imageless.hub.auth.IssuedToken;
import org.imageless.hub.server.HubServer;
import org.imageless.hub.testing.Backend;
import org.imageless.hub.testing.MutableClock;
import org.imageless.hub.testing.TestHubs;
import org.imageless.nix.store.StorePath;
import org.imageless.nix.testing.NixCacheFixture;
import org.imageless.nix.testing.RealNix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real {@code nix copy --to} against the hub server as it is served, with the hub's own tokens. */
class HubCacheUploadTest {

    @TempDir
    Path dir;

    private HubServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void nixCopyUploadsWithAUsersTokenAndIsRefusedAnonymouslyOrWithAReaderServiceAccount() throws IOException {
        Hub hub = TestHubs.open(Backend.SQLITE, dir.resolve("data"), new MutableClock(Instant.now()));
        hub.accounts().createUser("alice", "pw-alice-123".toCharArray());
        hub.accounts().createOrg("acme");
        hub.accounts().createServiceAccount("acme", "ci-reader", Role.READER);
        IssuedToken alice = hub.tokens().createPersonal("alice", "laptop", Expiry.parse("30d"));
        IssuedToken reader = hub.tokens().createServiceAccountToken("acme", "ci-reader", "ci", Expiry.parse("30d"));
        server = HubServer.start(hub, "127.0.0.1", 0, List.of());
        String cacheUrl = "http://127.0.0.1:" + server.port() + "/cache";
        NixCacheFixture fixture = new NixCacheFixture(dir.resolve("nix"));

        RealNix.Result anonymous = copy(fixture, cacheUrl, null);
        assertThat(anonymous.exitCode()).as(anonymous.stderr()).isNotZero();
        assertThat(anonymous.stderr()).contains("401");

        RealNix.Result asReader = copy(fixture, cacheUrl, reader.secret());
        assertThat(asReader.exitCode()).as(asReader.stderr()).isNotZero();
        assertThat(asReader.stderr()).contains("403");

        RealNix.Result asAlice = copy(fixture, cacheUrl, alice.secret());
        assertThat(asAlice.exitCode()).as(asAlice.stderr()).isZero();
        CacheStorage storage = CacheStorage.open(dir.resolve("data"), hub.signingKey());
        for (String p : fixture.closure()) {
            assertThat(storage.contains(StorePath.parse(p))).as("%s stored", p).isTrue();
            assertThat(storage.narInfo(StorePath.parse(p).hashPart()).orElseThrow().info().sigs())
                    .anyMatch(sig -> sig.startsWith(hub.signingKey().name() + ":"));
        }
    }

    private RealNix.Result copy(NixCacheFixture fixture, String cacheUrl, String token) throws IOException {
        String config = RealNix.NIX_CONFIG;
        if (token != null) {
            Path netrc = Files.writeString(dir.resolve("netrc-" + System.nanoTime()),
                    "machine 127.0.0.1\nlogin anyone\npassword " + token + "\n");
            config += "\nnetrc-file = " + netrc;
        }
        return fixture.nix.tryRun(List.of("nix", "copy", "--store", fixture.nix.storeUri(), "--to", cacheUrl, fixture.root),
                null, Map.of("NIX_CONFIG", config));
    }
}
