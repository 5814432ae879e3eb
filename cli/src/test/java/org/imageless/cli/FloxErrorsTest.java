package org.imageless.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.imageless.hub.testing.RunningHub;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The errors a user meets: each with its exit code and a message that names the cause and the fix. */
class FloxErrorsTest {

    static final String PRIVATE_MANIFEST = """
            version = 1

            [options]
            systems = ["x86_64-linux"]
            """;

    @TempDir
    Path dir;
    RunningHub hub;
    String aliceToken;
    FloxUser alice;

    @BeforeEach
    void start() {
        hub = RunningHub.start(dir.resolve("hub"));
        aliceToken = hub.createUser("alice");
        hub.createOrg("acme", "alice");
        alice = new FloxUser("alice", dir.resolve("alice"), hub.url(), aliceToken);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private FloxUser.Result expect(FloxUser.Result r, int code, String... fragments) {
        assertThat(r.code()).as(r.toString()).isEqualTo(code);
        assertThat(r.err()).as(r.toString()).contains(fragments);
        return r;
    }

    @Test
    void hubDownIsExitCode5AndSaysToStartTheHubOrFixTheUrl() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        FloxUser u = new FloxUser("u", dir.resolve("u"), "http://127.0.0.1:" + port, aliceToken);
        expect(u.flox("search", "hello"), 5, "cannot reach FloxHub at http://127.0.0.1:" + port, "floxhub_url");
        expect(u.flox("pull", "acme/web"), 5, "cannot reach FloxHub", "hub is running");
        Path p = u.dir("p");
        assertThat(u.flox(p, "init").code()).isZero();
        expect(u.flox(p, "install", "acme/hello"), 5, "cannot reach FloxHub");
    }

    @Test
    void notLoggedInIsExitCode6AndSaysHowToLogIn() {
        FloxUser anon = new FloxUser("anon", dir.resolve("anon"), hub.url(), null);
        Path p = anon.dir("p");
        assertThat(anon.flox(p, "init").code()).isZero();
        expect(anon.flox(p, "push"), 6, "not logged in to FloxHub", "flox auth login");
        expect(anon.flox("auth", "token"), 6, "not logged in", "flox auth login");
        expect(anon.flox("auth", "status"), 6, "not logged in");
    }

    @Test
    void anExpiredTokenIsExitCode6AndSaysItExpiredAndHowToGetANewOne() {
        FloxUser late = new FloxUser("late", dir.resolve("late"), hub.url(), hub.expiredToken("alice"));
        expect(late.flox("auth", "status"), 6, "expired", "flox auth login");
        Path p = late.dir("p");
        assertThat(late.flox(p, "init").code()).isZero();
        expect(late.flox(p, "push"), 6, "expired", "flox auth login");
    }

    @Test
    void anUnknownPackageIsExitCode3AndNamesThePackage() {
        Path p = alice.dir("p");
        assertThat(alice.flox(p, "init").code()).isZero();
        expect(alice.flox(p, "install", "acme/nosuchpkg"), 3, "acme/nosuchpkg", "not found");
        expect(alice.flox("show", "acme/nosuchpkg"), 3, "acme/nosuchpkg");
        assertThat(alice.flox(p, "list", "-n").out()).as("nothing was installed").isEmpty();
    }

    @Test
    void aVersionConstraintMatchingNothingIsExitCode3AndListsTheVersions() throws Exception {
        Path src = alice.dir("src");
        assertThat(alice.flox(src, "init").code()).isZero();
        Files.writeString(src.resolve("m.toml"), FloxEndToEndTest.BUILDS);
        assertThat(alice.flox(src, "edit", "-f", "m.toml").code()).isZero();
        assertThat(alice.flox(src, "publish", "-o", "acme", "hello").code()).isZero();
        Path p = alice.dir("p");
        assertThat(alice.flox(p, "init").code()).isZero();
        expect(alice.flox(p, "install", "acme/hello@^9"), 3, "no version of acme/hello matches '^9'", "1.0.0");
    }

    @Test
    void aPrivateEnvironmentOfAnotherOrgIsNotFoundWithTheReasonsItCouldBe() {
        String carolToken = hub.createUser("carol");
        hub.createOrg("globex", "carol");
        hub.pushGeneration("globex", "secret", PRIVATE_MANIFEST, null, carolToken);
        hub.setVisibility("globex", "secret", "private", carolToken);
        expect(alice.flox("pull", "globex/secret"), 3, "globex/secret", "member of 'globex'");
        expect(alice.flox("activate", "-r", "globex/secret", "--", "true"), 3, "globex/secret", "member of 'globex'");
    }

    @Test
    void aManifestErrorNamesFileLineAndKeyWithExitCode2() throws Exception {
        Path p = alice.dir("p");
        assertThat(alice.flox(p, "init").code()).isZero();
        Files.writeString(p.resolve("bad.toml"), "version = 1\n\n[install]\nhello.pkg-pth = \"acme/hello\"\n");
        expect(alice.flox(p, "edit", "-f", "bad.toml"), 2, "bad.toml", "4", "pkg-pth");
    }

    @Test
    void usageErrorsAreExitCode2() {
        expect(alice.flox("nosuchcommand"), 2, "nosuchcommand");
        expect(alice.flox("generations", "switch", "x"), 2, "x");
    }
}
