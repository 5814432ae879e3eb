package org.imageless.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.testing.NixCacheFixture;
import org.imageless.nix.testing.RealNix;
import org.imageless.nix.testing.TestCacheServer;
import org.imageless.node.testing.FloxNodeProcess;
import org.imageless.node.testing.FloxNodeProcess.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code flox-node store} run as a process, as operators run it, against real nix. */
class FloxNodeStoreTest {

    @TempDir
    Path dir;

    @Test
    void addDumpHashAndRestoreAgreeWithNix() throws IOException {
        RealNix nix = RealNix.in(dir);
        Path src = Files.createDirectories(dir.resolve("tool/bin"));
        Files.writeString(src.resolve("run"), "#!/bin/sh\necho run\n");
        src.resolve("run").toFile().setExecutable(true);
        Files.createSymbolicLink(src.resolve("again"), Path.of("run"));
        Path tool = dir.resolve("tool");

        Run add = run("store", "add", "--store", dir.resolve("store").toString(), tool.toString());
        assertThat(add.exit()).as(add.stderr()).isZero();
        assertThat(add.stdoutText().strip()).isEqualTo(nix.add(tool));

        Run dump = run("store", "dump", tool.toString());
        assertThat(dump.exit()).isZero();
        assertThat(Hash.sha256(dump.stdout())).isEqualTo(Hash.sha256(nix.dump(tool)));

        assertThat(run("store", "hash", tool.toString()).stdoutText().strip()).isEqualTo(nix.hashPath(tool));
        assertThat(run("store", "hash", "--base32", tool.toString()).stdoutText().strip())
                .isEqualTo(nix.runText("nix", "hash", "path", "--base32", tool.toString()));

        Path nar = dir.resolve("tool.nar");
        Files.write(nar, nix.dump(tool));
        Run restore = runWithInput(nar, "store", "restore", dir.resolve("restored").toString());
        assertThat(restore.exit()).as(restore.stderr()).isZero();
        assertThat(Hash.sha256(nix.dump(dir.resolve("restored")))).isEqualTo(Hash.sha256(nix.dump(tool)));
    }

    @Test
    void copyFromRealisesANixCacheThenVerifyAndLsShowIt() {
        NixCacheFixture fixture = new NixCacheFixture(dir);
        String store = dir.resolve("store").toString();
        try (TestCacheServer server = TestCacheServer.serving(fixture.cache("xz"))) {
            Run copy = run("store", "copy-from", server.uri().toString(), fixture.root, "--store", store,
                    "--trusted-key", fixture.key.publicKey());
            assertThat(copy.exit()).as(copy.stderr()).isZero();
            assertThat(copy.stdoutText()).as("the progress bar stays off when not on a terminal").isEmpty();
            assertThat(copy.stderr()).contains(fixture.closure().size() + " paths in the closure, "
                    + fixture.closure().size() + " fetched");
        }
        Run verify = run("store", "verify", "--store", store);
        assertThat(verify.exit()).as(verify.stderr()).isZero();
        assertThat(verify.stdoutText()).contains(fixture.closure().size() + " paths checked, 0 problems");
        assertThat(run("store", "ls", "--store", store).stdoutText().strip().split("\n"))
                .containsExactlyInAnyOrderElementsOf(fixture.closure());
    }

    @Test
    void copyFromSaysWhyItFailsWithAnExitCodePerKind() {
        NixCacheFixture fixture = new NixCacheFixture(dir);
        String store = dir.resolve("store").toString();
        String otherKey = fixture.nix.generateKey("someone-else-1", dir).publicKey();
        try (TestCacheServer server = TestCacheServer.serving(fixture.cache("none"))) {
            Run untrusted = run("store", "copy-from", server.uri().toString(), fixture.root, "--store", store,
                    "--trusted-key", otherKey);
            assertThat(untrusted.exit()).isEqualTo(4);
            assertThat(untrusted.stderr()).startsWith("flox-node: error: ").contains(fixture.root, "someone-else-1");

            Run noKey = run("store", "copy-from", server.uri().toString(), fixture.root, "--store", store);
            assertThat(noKey.exit()).isEqualTo(2);
            assertThat(noKey.stderr()).contains("trusted");

            Run badPath = run("store", "copy-from", server.uri().toString(), "/usr/bin/ls", "--store", store,
                    "--trusted-key", otherKey);
            assertThat(badPath.exit()).isEqualTo(2);
            assertThat(badPath.stderr()).contains("'/usr/bin/ls' is not in the Nix store");
        }
        Run down = run("store", "copy-from", "http://127.0.0.1:9/cache", fixture.root, "--store", store,
                "--trusted-key", otherKey);
        assertThat(down.exit()).isEqualTo(5);
        assertThat(down.stderr()).contains("127.0.0.1:9");
        assertThat(run("store", "ls", "--store", store).stdoutText()).as("nothing was realised").isEmpty();
    }

    private Run run(String... args) {
        return runWithInput(null, args);
    }

    private Run runWithInput(Path stdin, String... args) {
        return FloxNodeProcess.run(dir, stdin, List.of(args));
    }
}
