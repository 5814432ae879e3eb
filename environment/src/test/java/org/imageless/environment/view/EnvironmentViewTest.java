package org.imageless.environment.view;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.imageless.environment.lock.Lockfile;
import org.imageless.nix.NixException;
import org.imageless.nix.narinfo.NarInfo;
import org.imageless.nix.nodestore.NodeStore;
import org.imageless.nix.nodestore.PathInfo;
import org.imageless.nix.store.StorePath;
import org.imageless.nix.testing.RealNix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvironmentViewTest {

    static final String SYSTEM = "x86_64-linux";

    @TempDir
    Path tmp;
    private int sources;

    /** Adds a package tree to the node store the way a realise would put it there. */
    private StorePath pkg(NodeStore store, String name, String... files) throws IOException {
        Path src = tmp.resolve("src-" + (++sources)).resolve(name);
        for (String f : files) {
            String[] parts = f.split("=", 2);
            Path p = src.resolve(parts[0]);
            Files.createDirectories(p.getParent());
            if (parts[1].startsWith("->")) {
                Files.createSymbolicLink(p, Path.of(parts[1].substring(2)));
            } else {
                Files.writeString(p, parts[1]);
            }
        }
        return store.add(src, name, false);
    }

    static String lock(List<String[]> packages) {
        StringBuilder install = new StringBuilder();
        StringBuilder pkgs = new StringBuilder();
        for (String[] p : packages) {
            String id = p[0];
            String path = p[1];
            String priority = p.length > 2 ? p[2] : "5";
            if (!install.isEmpty()) {
                install.append(',');
                pkgs.append(',');
            }
            install.append("\"").append(id).append("\": {\"store-path\": \"").append(path).append("\"}");
            pkgs.append("{\"install_id\": \"").append(id).append("\", \"store_path\": \"").append(path)
                    .append("\", \"system\": \"" + SYSTEM + "\", \"priority\": ").append(priority).append("}");
        }
        return "{\"lockfile-version\": 1, \"manifest\": {\"version\": 1, \"install\": {" + install
                + "}}, \"packages\": [" + pkgs + "]}";
    }

    @Test
    void aDirectoryOfOnePackageIsALinkAndSharedDirectoriesAreMerged() throws IOException {
        NodeStore store = NodeStore.open(tmp.resolve("store"));
        StorePath a = pkg(store, "a", "bin/a=#a", "share/man/a.1=man a");
        StorePath b = pkg(store, "b", "bin/b=#b", "lib/libb.so=elf");
        Lockfile lock = Lockfile.parse(lock(List.of(new String[] {"a", a.toString()}, new String[] {"b", b.toString()})), "l");

        StorePath view = EnvironmentView.build(store, lock, SYSTEM);

        Path v = store.realPath(view);
        assertThat(Files.isDirectory(v.resolve("bin"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.readSymbolicLink(v.resolve("bin/a"))).hasToString(a + "/bin/a");
        assertThat(Files.readSymbolicLink(v.resolve("bin/b"))).hasToString(b + "/bin/b");
        assertThat(Files.readSymbolicLink(v.resolve("share"))).hasToString(a + "/share");
        assertThat(Files.readSymbolicLink(v.resolve("lib"))).hasToString(b + "/lib");
        assertThat(store.query(view).orElseThrow().references()).containsExactlyInAnyOrder(a, b);
        assertThat(view.name()).isEqualTo(EnvironmentView.NAME);
    }

    @Test
    void theSameLockGivesTheSamePathInAnotherStore() throws IOException {
        NodeStore one = NodeStore.open(tmp.resolve("one"));
        NodeStore two = NodeStore.open(tmp.resolve("two"));
        StorePath a = pkg(one, "a", "bin/a=#a", "bin/x=->a");
        StorePath b = pkg(one, "b", "bin/b=#b");
        assertThat(pkg(two, "b", "bin/b=#b")).isEqualTo(b);
        assertThat(pkg(two, "a", "bin/a=#a", "bin/x=->a")).isEqualTo(a);
        Lockfile lock = Lockfile.parse(lock(List.of(new String[] {"a", a.toString()}, new String[] {"b", b.toString()})), "l");
        assertThat(EnvironmentView.build(one, lock, SYSTEM)).isEqualTo(EnvironmentView.build(two, lock, SYSTEM));
    }

    @Test
    void aFileInTwoPackagesWithTheSamePriorityIsAnErrorNamingBothAndThePath() throws IOException {
        NodeStore store = NodeStore.open(tmp.resolve("store"));
        StorePath a = pkg(store, "a", "bin/hello=#a");
        StorePath b = pkg(store, "b", "bin/hello=#b");
        Lockfile lock = Lockfile.parse(lock(List.of(new String[] {"a", a.toString()}, new String[] {"b", b.toString()})), "l");

        assertThatThrownBy(() -> EnvironmentView.build(store, lock, SYSTEM))
                .isInstanceOf(NixException.class)
                .hasMessageContaining("packages 'a' and 'b' both provide 'bin/hello'")
                .hasMessageContaining("priority");
    }

    @Test
    void theLowerPriorityNumberWinsAConflict() throws IOException {
        NodeStore store = NodeStore.open(tmp.resolve("store"));
        StorePath a = pkg(store, "a", "bin/hello=#a");
        StorePath b = pkg(store, "b", "bin/hello=#b", "bin/other=#o");
        Lockfile lock = Lockfile.parse(lock(List.of(new String[] {"a", a.toString(), "7"}, new String[] {"b", b.toString(), "3"})), "l");

        Path v = store.realPath(EnvironmentView.build(store, lock, SYSTEM));

        assertThat(Files.readSymbolicLink(v.resolve("bin/hello"))).hasToString(b + "/bin/hello");
        assertThat(Files.readSymbolicLink(v.resolve("bin/other"))).hasToString(b + "/bin/other");
    }

    @Test
    void identicalFilesInTwoPackagesAreNoConflict() throws IOException {
        NodeStore store = NodeStore.open(tmp.resolve("store"));
        StorePath a = pkg(store, "a", "share/LICENSE=MIT", "bin/a=#a");
        StorePath b = pkg(store, "b", "share/LICENSE=MIT", "bin/b=#b");
        Lockfile lock = Lockfile.parse(lock(List.of(new String[] {"a", a.toString()}, new String[] {"b", b.toString()})), "l");

        Path v = store.realPath(EnvironmentView.build(store, lock, SYSTEM));

        assertThat(Files.readSymbolicLink(v.resolve("share/LICENSE"))).hasToString(a + "/share/LICENSE");
    }

    @Test
    void aSymlinkToADirectoryInAnotherStorePathIsMergedAsADirectory() throws IOException {
        NodeStore store = NodeStore.open(tmp.resolve("store"));
        StorePath lib = pkg(store, "lib", "lib/liba.so=elf");
        StorePath a = pkg(store, "a", "lib=->" + lib + "/lib");
        StorePath b = pkg(store, "b", "lib/libb.so=elf");
        Lockfile lock = Lockfile.parse(lock(List.of(new String[] {"a", a.toString()}, new String[] {"b", b.toString()})), "l");

        Path v = store.realPath(EnvironmentView.build(store, lock, SYSTEM));

        assertThat(Files.readSymbolicLink(v.resolve("lib/liba.so"))).hasToString(a + "/lib/liba.so");
        assertThat(Files.readSymbolicLink(v.resolve("lib/libb.so"))).hasToString(b + "/lib/libb.so");
    }

    @Test
    void whatBuildEnvLeavesOutIsLeftOutAndCannotConflict() throws IOException {
        NodeStore store = NodeStore.open(tmp.resolve("store"));
        StorePath a = pkg(store, "a", "bin/a=#a", "nix-support/setup-hook=a", "share/info/dir=a", "share/mime/mime.cache=a",
                "share/mime/packages/a.xml=a", "lib/perl5/perllocal.pod=a");
        StorePath b = pkg(store, "b", "bin/b=#b", "nix-support/setup-hook=b", "share/info/dir=b", "share/mime/mime.cache=b",
                "lib/perl5/perllocal.pod=b");
        Lockfile lock = Lockfile.parse(lock(List.of(new String[] {"a", a.toString()}, new String[] {"b", b.toString()})), "l");

        Path v = store.realPath(EnvironmentView.build(store, lock, SYSTEM));

        assertThat(v.resolve("nix-support")).doesNotExist();
        assertThat(v.resolve("share/info/dir")).doesNotExist();
        assertThat(Files.exists(v.resolve("share/mime/mime.cache"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.readSymbolicLink(v.resolve("share/mime/packages"))).hasToString(a + "/share/mime/packages");
        assertThat(Files.exists(v.resolve("lib/perl5/perllocal.pod"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.readSymbolicLink(v.resolve("bin/b"))).hasToString(b + "/bin/b");
    }

    @Test
    void aPackageMissingFromTheNodeStoreIsNamed() {
        NodeStore store = NodeStore.open(tmp.resolve("store"));
        String missing = "/nix/store/0370cakz5b3yf6dlr2r75ybxsrjpp5k3-gh-2.96.0";
        Lockfile lock = Lockfile.parse(lock(List.<String[]>of(new String[] {"gh", missing})), "l");
        assertThatThrownBy(() -> EnvironmentView.build(store, lock, SYSTEM))
                .hasMessageContaining("package 'gh' (" + missing + ")")
                .hasMessageContaining("realise the closure first");
    }

    /**
     * Real nix accepts the view as a content-addressed path: {@code nix copy} from a cache holding it
     * unsigned checks that its store path is the one its NAR hash, name and references give (nix
     * refuses an unsigned path otherwise), and {@code nix hash path} of the tree equals our NAR hash.
     */
    @Test
    void realNixAgreesOnTheViewsNarHashAndStorePath() throws IOException {
        RealNix nix = RealNix.in(tmp);
        Path src = tmp.resolve("hello-src/bin");
        Files.createDirectories(src);
        Files.writeString(src.resolve("hello"), "#!/bin/sh\necho hello\n");
        StorePath hello = StorePath.parse(nix.add(src.getParent()));
        NodeStore store = NodeStore.open(tmp.resolve("store"));
        assertThat(store.add(nix.realPath(hello.toString()), hello.name(), false)).isEqualTo(hello);
        StorePath other = pkg(store, "other", "share/doc/other=x");
        assertThat(StorePath.parse(nix.add(tmp.resolve("src-" + sources).resolve("other")))).isEqualTo(other);
        Lockfile lock = Lockfile.parse(lock(List.of(new String[] {"hello", hello.toString()},
                new String[] {"other", other.toString()})), "l");

        StorePath view = EnvironmentView.build(store, lock, SYSTEM);

        PathInfo info = store.query(view).orElseThrow();
        assertThat(nix.hashPath(store.realPath(view))).isEqualTo(info.narHash().toSri());
        Path cache = Files.createDirectories(tmp.resolve("cache/nar"));
        Files.writeString(cache.resolveSibling("nix-cache-info"), "StoreDir: /nix/store\n");
        for (StorePath p : List.of(view, hello, other)) {
            PathInfo pi = store.query(p).orElseThrow();
            ByteArrayOutputStream nar = new ByteArrayOutputStream();
            store.dump(p, nar);
            Files.write(cache.resolve(p.hashPart() + ".nar"), nar.toByteArray());
            Files.writeString(cache.resolveSibling(NarInfo.fileName(p)), new NarInfo(p, "nar/" + p.hashPart() + ".nar",
                    "none", Optional.empty(), nar.size(), pi.narHash(), pi.narSize(), new ArrayList<>(pi.references()),
                    Optional.empty(), Optional.empty(), List.of(), pi.ca()).format());
        }
        nix.run(List.of("nix", "copy", "--from", "file://" + cache.getParent(), "--to", nix.storeUri(), view.toString()));
        assertThat(nix.references(view.toString())).containsExactlyInAnyOrder(hello.toString(), other.toString());
    }
}
