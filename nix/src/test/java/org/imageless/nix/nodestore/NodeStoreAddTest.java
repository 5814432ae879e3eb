package org.imageless.nix.nodestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.store.StorePath;
import org.imageless.nix.store.StorePaths;
import org.imageless.nix.testing.RealNix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeStoreAddTest {

    @Test
    void addGivesTheSamePathAndNarAsNixStoreAdd(@TempDir Path dir) throws Exception {
        RealNix nix = RealNix.in(dir);
        Path src = Files.createDirectories(dir.resolve("pkg/bin"));
        Files.writeString(src.resolve("tool"), "#!/bin/sh\necho tool\n");
        src.resolve("tool").toFile().setExecutable(true);
        Files.createSymbolicLink(src.resolve("alias"), Path.of("tool"));
        Path pkg = dir.resolve("pkg");

        NodeStore store = NodeStore.open(dir.resolve("store"));
        StorePath path = store.add(pkg, "pkg", false);

        assertThat(path).hasToString(nix.add(pkg));
        assertThat(store.isValid(path)).isTrue();
        ByteArrayOutputStream nar = new ByteArrayOutputStream();
        store.dump(path, nar);
        assertThat(Hash.sha256(nar.toByteArray())).isEqualTo(Hash.sha256(nix.dump(pkg)));
        assertThat(store.query(path).orElseThrow().narHash()).isEqualTo(Hash.parse(nix.hashPath(pkg)));
        assertThat(store.verify()).isEmpty();
        assertThat(store.add(pkg, "pkg", false)).as("adding again is a no-op").isEqualTo(path);
    }

    @Test
    void addWithReferenceScanningRecordsTheStorePathsTheContentsMention(@TempDir Path dir) throws Exception {
        NodeStore store = NodeStore.open(dir.resolve("store"));
        Path depSrc = Files.writeString(dir.resolve("dep"), "a dependency");
        StorePath dep = store.add(depSrc, "dep", false);
        Path appSrc = Files.writeString(dir.resolve("app"), "#!" + dep + "/bin/sh\n");
        StorePath app = store.add(appSrc, "app", true);

        assertThat(store.query(app).orElseThrow().references()).containsExactly(dep);
        assertThat(store.closure(Set.of(app))).containsExactlyInAnyOrder(app, dep);
    }

    @Test
    void addWithKnownReferencesRecordsExactlyThoseAndRequiresThemValid(@TempDir Path dir) throws Exception {
        NodeStore store = NodeStore.open(dir.resolve("store"));
        StorePath dep = store.add(Files.writeString(dir.resolve("dep"), "a dependency"), "dep", false);
        Path src = Files.writeString(dir.resolve("view"), "mentions nothing");
        StorePath view = store.add(src, "view", List.of(dep));

        assertThat(store.query(view).orElseThrow().references()).containsExactly(dep);
        assertThat(view).isEqualTo(StorePaths.source("view", store.query(view).orElseThrow().narHash(), Set.of(dep), false));
        StorePath missing = StorePath.parse("/nix/store/0370cakz5b3yf6dlr2r75ybxsrjpp5k3-gh-2.96.0");
        assertThatThrownBy(() -> store.add(src, "other", List.of(missing)))
                .hasMessageContaining("its reference " + missing + " is not valid");
    }

    @Test
    void deleteMakesAPathInvalidAndRemovesItsReadOnlyTree(@TempDir Path dir) throws Exception {
        NodeStore store = NodeStore.open(dir.resolve("store"));
        Path src = Files.createDirectories(dir.resolve("pkg/bin"));
        Files.writeString(src.resolve("tool"), "x");
        StorePath p = store.add(dir.resolve("pkg"), "pkg", false);

        assertThat(store.delete(p)).isTrue();

        assertThat(store.isValid(p)).isFalse();
        assertThat(store.realPath(p)).doesNotExist();
        assertThat(store.list()).isEmpty();
        assertThat(store.delete(p)).isFalse();
        assertThat(store.add(dir.resolve("pkg"), "pkg", false)).as("added again after a delete").isEqualTo(p);
    }

    @Test
    void verifyReportsATreeChangedBehindTheStoresBack(@TempDir Path dir) throws Exception {
        NodeStore store = NodeStore.open(dir.resolve("store"));
        Path src = Files.writeString(dir.resolve("f"), "original");
        StorePath p = store.add(src, "f", false);
        Path real = store.realPath(p);
        real.toFile().setWritable(true);
        Files.writeString(real, "tampered");

        assertThat(store.verify()).singleElement().satisfies(problem -> {
            assertThat(problem.path()).isEqualTo(p);
            assertThat(problem.description()).contains("NAR hash is", "expected");
        });
    }
}
