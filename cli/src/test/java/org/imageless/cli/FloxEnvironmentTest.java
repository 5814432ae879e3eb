package org.imageless.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.imageless.hub.testing.RunningHub;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Local environment commands against a served hub: upgrade, list, generations by number. */
class FloxEnvironmentTest {

    @TempDir
    Path dir;
    RunningHub hub;
    FloxUser alice;

    @BeforeEach
    void start() throws Exception {
        hub = RunningHub.start(dir.resolve("hub"));
        String token = hub.createUser("alice");
        hub.createOrg("acme", "alice");
        alice = new FloxUser("alice", dir.resolve("alice"), hub.url(), token);
        Path src = alice.dir("src");
        FloxEndToEndTest.ok(alice.flox(src, "init"));
        Files.writeString(src.resolve("m.toml"), FloxEndToEndTest.BUILDS);
        FloxEndToEndTest.ok(alice.flox(src, "edit", "-f", "m.toml"));
        FloxEndToEndTest.ok(alice.flox(src, "publish", "-o", "acme", "hello"));
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    /** alice's project {@code p}: environment {@code name} with {@code pkg} installed, pushed to acme. */
    private Path pushed(String name, String pkg) {
        Path p = alice.dir("p");
        FloxEndToEndTest.ok(alice.flox(p, "init", "-n", name));
        FloxEndToEndTest.ok(alice.flox(p, "install", pkg));
        FloxEndToEndTest.ok(alice.flox(p, "push", "-o", "acme"));
        return p;
    }

    private void publishHello(String version) throws Exception {
        Path src = alice.home.resolve("src");
        Files.writeString(src.resolve("m.toml"), FloxEndToEndTest.BUILDS.replace("version = \"1.0.0\"", "version = \"" + version + "\"")
                .replace("Hello from flox", "Hello from flox " + version));
        FloxEndToEndTest.ok(alice.flox(src, "edit", "-f", "m.toml"));
        FloxEndToEndTest.ok(alice.flox(src, "publish", "-o", "acme", "hello"));
    }

    @Test
    void downloadsMustBeSignedByTheHubKeyPinnedOnFirstUseOrByTheConfiguredKeys() throws Exception {
        pushed("signed", "acme/hello");

        // first use: the hub's key is asked for, pinned, and the download checked against it
        FloxUser carol = new FloxUser("carol", dir.resolve("carol"), hub.url(), null);
        FloxUser.Result first = FloxEndToEndTest.ok(carol.flox("activate", "-r", "acme/signed", "--", "hello"));
        assertThat(first.out()).isEqualTo("Hello from flox \n");
        assertThat(first.err()).contains("flox: trusting " + hub.publicKey() + " for the packages of " + hub.url());
        Path pinned = carol.home.resolve(".local/share/flox/trusted-keys/127.0.0.1_" + java.net.URI.create(hub.url()).getPort());
        assertThat(pinned).content().isEqualTo(hub.publicKey() + "\n");

        // a key the hub does not sign with, configured: nothing is fetched, and the message says which setting
        String other = "other-1:" + java.util.Base64.getEncoder().encodeToString(new byte[32]);
        FloxUser dave = new FloxUser("dave", dir.resolve("dave"), hub.url(), null);
        dave.env.put("FLOX_TRUSTED_PUBLIC_KEYS", other);
        FloxUser.Result refused = dave.flox("activate", "-r", "acme/signed", "--", "hello");
        assertThat(refused.code()).as(refused.toString()).isNotZero();
        assertThat(refused.err()).contains("no valid signature by a trusted key").contains("FLOX_TRUSTED_PUBLIC_KEYS");
        assertThat(dave.home.resolve(".local/share/flox/store")).satisfiesAnyOf(
                d -> assertThat(d).doesNotExist(), d -> assertThat(org.imageless.nix.nodestore.NodeStore.open(d).list()).isEmpty());

        // a pinned key that is not the hub's (its key was replaced, or downloads are altered): refused, with the file to remove
        FloxUser erin = new FloxUser("erin", dir.resolve("erin"), hub.url(), null);
        Path erinPinned = erin.home.resolve(".local/share/flox/trusted-keys").resolve(pinned.getFileName());
        Files.createDirectories(erinPinned.getParent());
        Files.writeString(erinPinned, other + "\n");
        FloxUser.Result mismatch = erin.flox("activate", "-r", "acme/signed", "--", "hello");
        assertThat(mismatch.code()).isNotZero();
        assertThat(mismatch.err()).contains("no valid signature by a trusted key").contains("remove that file").contains(erinPinned.toString());
    }

    @Test
    void upgradeTakesTheNewestVersionTheConstraintAllowsAndSaysWhenThereIsNone() throws Exception {
        Path p = alice.dir("p");
        FloxEndToEndTest.ok(alice.flox(p, "init"));
        FloxEndToEndTest.ok(alice.flox(p, "install", "acme/hello@^1"));
        publishHello("1.1.0");
        publishHello("2.0.0");
        assertThat(FloxEndToEndTest.ok(alice.flox(p, "list")).out()).isEqualTo("hello: acme/hello (1.0.0)\n");
        assertThat(FloxEndToEndTest.ok(alice.flox(p, "upgrade")).out()).contains("hello: 1.0.0 -> 1.1.0");
        assertThat(FloxEndToEndTest.ok(alice.flox(p, "list")).out()).isEqualTo("hello: acme/hello (1.1.0)\n");
        assertThat(FloxEndToEndTest.ok(alice.flox(p, "upgrade", "hello")).out()).contains("no upgrades available");
        assertThat(FloxEndToEndTest.ok(alice.flox(p, "list", "-c")).out()).contains("hello.version = \"^1\"");
        FloxUser.Result unknown = alice.flox(p, "upgrade", "nosuch");
        assertThat(unknown.code()).isEqualTo(3);
        assertThat(unknown.err()).contains("'nosuch' is not installed");
    }

    @Test
    void pullAndActivateTakeAGenerationByNumber() throws Exception {
        Path p = pushed("app", "acme/hello@=1.0.0");
        publishHello("1.1.0");
        FloxEndToEndTest.ok(alice.flox(p, "upgrade"));
        FloxUser.Result gen2 = alice.flox(p, "list");
        assertThat(gen2.out()).as("=1.0.0 pins the version").contains("(1.0.0)");
        FloxEndToEndTest.ok(alice.flox(p, "edit", "-f", writeManifest(p, "^1")));
        FloxEndToEndTest.ok(alice.flox(p, "push"));
        assertThat(FloxEndToEndTest.ok(alice.flox(p, "activate", "--", "hello")).out()).isEqualTo("Hello from flox 1.1.0 \n");
        assertThat(FloxEndToEndTest.ok(alice.flox(p, "activate", "-g", "1", "--", "hello")).out()).isEqualTo("Hello from flox \n");

        Path q = alice.dir("q");
        FloxEndToEndTest.ok(alice.flox(q, "pull", "acme/app", "-g", "1"));
        assertThat(FloxEndToEndTest.ok(alice.flox(q, "list")).out()).isEqualTo("hello: acme/hello (1.0.0)\n");
        FloxUser.Result missing = alice.flox(q, "activate", "-g", "9", "--", "true");
        assertThat(missing.code()).isEqualTo(3);
        assertThat(missing.err()).contains("has no generation 9").contains("flox generations list");
        FloxUser.Result exit = alice.flox(q, "activate", "--", "sh", "-c", "exit 7");
        assertThat(exit.code()).as("the command's exit code").isEqualTo(7);
    }

    private static String writeManifest(Path p, String constraint) throws Exception {
        String m = Files.readString(p.resolve(".flox/env/manifest.toml")).replace("\"=1.0.0\"", "\"" + constraint + "\"");
        Path f = p.resolve("new.toml");
        Files.writeString(f, m);
        return f.toString();
    }

    @Test
    void aPublishedPackageKeepsItsReferencesToTheEnvironmentsPackagesAndRunsWithoutThem() throws Exception {
        Path w = alice.dir("wrapper-src");
        FloxEndToEndTest.ok(alice.flox(w, "init"));
        FloxEndToEndTest.ok(alice.flox(w, "install", "acme/hello"));
        String manifest = Files.readString(w.resolve(".flox/env/manifest.toml")) + """

                [build.wrapper]
                version = "0.1.0"
                command = '''
                  mkdir -p $out/bin
                  printf '#!/bin/sh\\nexec %s "$@"\\n' "$(readlink -f "$FLOX_ENV/bin/hello")" > $out/bin/wrapper
                  chmod +x $out/bin/wrapper
                '''
                """;
        Files.writeString(w.resolve("m.toml"), manifest);
        FloxEndToEndTest.ok(alice.flox(w, "edit", "-f", "m.toml"));
        FloxEndToEndTest.ok(alice.flox(w, "publish", "-o", "acme", "wrapper"));

        // a second user's environment has only the wrapper: hello comes with its closure
        FloxUser bob = new FloxUser("bob", dir.resolve("bob"), hub.url(), hub.createUser("bob"));
        hub.addMember("acme", "bob", "reader");
        Path p = bob.dir("p");
        FloxEndToEndTest.ok(bob.flox(p, "init"));
        FloxEndToEndTest.ok(bob.flox(p, "install", "acme/wrapper"));
        assertThat(FloxEndToEndTest.ok(bob.flox(p, "activate", "--", "wrapper")).out()).isEqualTo("Hello from flox \n");
    }
}
