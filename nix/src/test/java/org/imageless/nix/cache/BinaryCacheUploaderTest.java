package org.imageless.nix.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.imageless.nix.NixException;
import org.imageless.nix.nodestore.NodeStore;
import org.imageless.nix.store.StorePath;
import org.imageless.nix.testing.RealNix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BinaryCacheUploaderTest {

    @TempDir
    Path dir;

    @Test
    void realNixCopiesAnUploadedClosureBackWithItsReferences() throws Exception {
        NodeStore store = NodeStore.open(dir.resolve("store"));
        Path lib = Files.createDirectories(dir.resolve("src/lib"));
        Files.writeString(lib.resolve("data.txt"), "library data\n".repeat(1000));
        StorePath libPath = store.add(lib, "lib-1.0", false);
        Path app = Files.createDirectories(dir.resolve("src/app/bin"));
        Files.writeString(app.resolve("run"), "#!/bin/sh\ncat " + libPath + "/data.txt\n");
        StorePath appPath = store.add(app.getParent(), "app-1.0", true);

        Path cache = dir.resolve("cache");
        BinaryCacheUploader.UploadResult first;
        try (BinaryCacheUploader up = BinaryCacheUploader.builder(cache.toUri()).tmpDir(dir.resolve("tmp")).build()) {
            first = up.upload(store, List.of(appPath));
            assertThat(first.uploaded()).containsExactly(libPath, appPath);
            assertThat(up.upload(store, List.of(appPath)).uploaded()).as("a second upload skips what is there").isEmpty();
        }
        assertThat(Files.list(cache.resolve("nar")).map(p -> p.getFileName().toString()))
                .allMatch(n -> n.matches("[0-9a-z]{52}\\.nar\\.xz"));

        RealNix nix = RealNix.in(dir);
        RealNix.Result copied = nix.tryRun(List.of("nix", "copy", "--no-check-sigs", "--from", cache.toUri().toString(),
                "--to", nix.storeUri(), appPath.toString()), null, Map.of());
        assertThat(copied.exitCode()).as(copied.stderr()).isZero();
        assertThat(nix.references(appPath.toString())).contains(libPath.toString());
        assertThat(Files.readString(nix.realPath(libPath + "/data.txt"))).isEqualTo("library data\n".repeat(1000));
        assertThat(nix.runText("nix-store", "--store", nix.storeUri(), "--verify-path", appPath.toString())).isEmpty();
    }

    @Test
    void aPathMissingFromTheStoreIsNotFound() {
        NodeStore store = NodeStore.open(dir.resolve("store"));
        StorePath absent = StorePath.parse("/nix/store/00000000000000000000000000000000-absent");
        try (BinaryCacheUploader up = BinaryCacheUploader.builder(dir.resolve("cache").toUri()).build()) {
            assertThatThrownBy(() -> up.upload(store, List.of(absent)))
                    .isInstanceOfSatisfying(NixException.class, e -> assertThat(e.kind()).isEqualTo(NixException.Kind.NOT_FOUND))
                    .hasMessageContaining(absent.toString());
        }
    }

    @Test
    void anUnreachableCacheIsUnavailableAndSaysSo() throws Exception {
        NodeStore store = NodeStore.open(dir.resolve("store"));
        Path src = Files.createDirectories(dir.resolve("src/x"));
        Files.writeString(src.resolve("f"), "x");
        StorePath p = store.add(src, "x", false);
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (BinaryCacheUploader up = BinaryCacheUploader.builder(java.net.URI.create("http://127.0.0.1:" + port + "/cache"))
                .token("secret-token").build()) {
            assertThatThrownBy(() -> up.upload(store, List.of(p)))
                    .isInstanceOfSatisfying(NixException.class, e -> assertThat(e.kind()).isEqualTo(NixException.Kind.UNAVAILABLE))
                    .hasMessageContaining("cannot reach the binary cache").hasMessageNotContaining("secret-token");
        }
    }
}
