package org.imageless.hub.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.imageless.environment.generation.Generation;
import org.imageless.environment.generation.GenerationsMetadata;
import org.imageless.environment.generation.HistoryEntry;
import org.imageless.environment.lock.Lockfile;
import org.imageless.hub.auth.Authentication;
import org.imageless.hub.auth.Visibility;
import org.imageless.nix.testing.NixCacheFixture;
import org.imageless.nix.testing.RealNix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared fixture does what its documentation says, against the real hub, git and nix. */
class RunningHubTest {

    static final String MANIFEST = """
            version = 1

            [install]
            hello.pkg-path = "hello"

            [options]
            systems = ["x86_64-linux"]
            """;

    @TempDir
    Path tmp;

    @Test
    void pushedGenerationsHaveFloxsLayoutAndCanBeClonedWithPlainGit() {
        try (RunningHub hub = RunningHub.start(tmp.resolve("hub"))) {
            String alice = hub.createUser("alice");
            hub.createOrg("acme", "alice");
            assertThat(hub.url()).matches("http://127\\.0\\.0\\.1:[0-9]+");
            assertThat(hub.publicKey()).matches("[^:]+:[A-Za-z0-9+/=]+");

            assertThat(hub.pushGeneration("acme", "web", MANIFEST, null, alice)).isEqualTo(1);
            assertThat(hub.pushGeneration("acme", "web", MANIFEST.replace("hello", "world"), null, alice)).isEqualTo(2);
            assertThat(hub.hub().environments().liveGeneration("acme", "web")).isEqualTo(2);

            GitCli git = new GitCli(tmp.resolve("home"));
            git.ok(tmp, "clone", "-q", "-b", "web", hub.url() + "/git/acme/floxmeta", "clone");
            Path clone = tmp.resolve("clone");
            assertThat(clone.resolve("1/env/manifest.toml")).content().isEqualTo(MANIFEST);
            assertThat(clone.resolve("2/env/manifest.toml")).exists();
            GenerationsMetadata metadata = GenerationsMetadata.parse(readString(clone.resolve("metadata.json")), "metadata.json");
            HistoryEntry first = metadata.history().getFirst();
            assertThat(first.author()).isEqualTo("alice");
            assertThat(first.hostname()).isEqualTo(RunningHub.HOSTNAME);
            assertThat(first.change()).isEqualTo(HistoryEntry.Change.install(List.of("hello")));
            assertThat(first.timestamp()).isPositive();
            assertThat(metadata.history().get(1).previousGeneration()).isEqualTo(1);

            hub.switchGeneration("acme", "web", 1, alice);
            assertThat(hub.hub().environments().liveGeneration("acme", "web")).isEqualTo(1);
            assertThat(hub.pushGeneration("acme", "web", MANIFEST, null, alice)).isEqualTo(3);
        }
    }

    @Test
    void accountsTokensAndVisibility() {
        try (RunningHub hub = RunningHub.start(tmp.resolve("hub"))) {
            String alice = hub.createUser("alice");
            String bob = hub.createUser("bob");
            hub.createOrg("acme", "alice");
            hub.addMember("acme", "bob", "reader");
            String ci = hub.serviceAccountToken("acme", "ci", "writer");
            assertThat(hub.call("GET", "/api/v1/whoami", ci, null, 200).path("name").asText()).isEqualTo("acme/ci");
            assertThat(hub.call("GET", "/api/v1/owners/acme", bob, null, 200).path("role").asText()).isEqualTo("reader");
            assertThat(hub.call("GET", "/api/v1/owners/acme", alice, null, 200).path("role").asText()).isEqualTo("owner");

            assertThat(hub.hub().authenticator().authenticate("bearer " + hub.expiredToken("bob")))
                    .isInstanceOfSatisfying(Authentication.Failed.class,
                            f -> assertThat(f.failure()).isEqualTo(Authentication.Failure.EXPIRED));
            assertThat(hub.hub().authenticator().authenticate("bearer " + hub.revokedToken("bob")))
                    .isInstanceOfSatisfying(Authentication.Failed.class,
                            f -> assertThat(f.failure()).isEqualTo(Authentication.Failure.REVOKED));

            hub.pushGeneration("acme", "web", MANIFEST, null, ci);
            hub.setVisibility("acme", "web", "private", alice);
            assertThat(hub.hub().environments().find("acme", "web").orElseThrow().visibility()).isEqualTo(Visibility.PRIVATE);
            // a reader of a private environment fetches it (the fixture sends the token up front), but may not push
            assertThatThrownBy(() -> hub.pushGeneration("acme", "web", MANIFEST, null, bob))
                    .hasMessageContaining("git-receive-pack not permitted");
            assertThatThrownBy(() -> hub.setVisibility("acme", "web", "public", bob)).hasMessageContaining("bob");
            assertThat(hub.pushGeneration("acme", "web", MANIFEST, null, alice)).isEqualTo(2);
        }
    }

    @Test
    void publishedPackagesResolveIntoALockThatPushes() throws Exception {
        try (RunningHub hub = RunningHub.start(tmp.resolve("hub"))) {
            String alice = hub.createUser("alice");
            NixCacheFixture nix = new NixCacheFixture(tmp.resolve("nix"));
            Path netrc = Files.writeString(tmp.resolve("netrc"), "machine 127.0.0.1\nlogin oauth\npassword " + alice + "\n");
            RealNix.Result copied = nix.nix.tryRun(List.of("nix", "copy", "--store", nix.nix.storeUri(), "--to",
                    hub.url() + "/cache", nix.root), null, Map.of("NIX_CONFIG", RealNix.NIX_CONFIG + "\nnetrc-file = " + netrc));
            assertThat(copied.exitCode()).as(copied.stderr()).isZero();

            hub.publishPackage("alice", "hello", "1.0.0", Map.of("x86_64-linux", nix.root), alice);
            String lock = hub.lockFor("alice", MANIFEST, alice);
            Lockfile parsed = Lockfile.parse(lock, "manifest.lock");
            assertThat(parsed.storePaths("x86_64-linux")).extracting(Object::toString).containsExactly(nix.root);

            int n = hub.pushGeneration("alice", "app", MANIFEST, lock, alice);
            assertThat(hub.hub().environments().lockText("alice", "app", n)).contains(lock);
            assertThat(hub.hub().environments().generation("alice", "app", n).lock()).isNotNull();
            assertThat(Generation.lockPath(n)).isEqualTo("1/env/manifest.lock");
        }
    }

    private static String readString(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
