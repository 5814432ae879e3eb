package org.imageless.environment.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.imageless.environment.EnvironmentFormatException;
import org.imageless.environment.Resources;
import org.imageless.nix.store.StorePath;
import org.junit.jupiter.api.Test;

class LockfileTest {

    private static final String GOLDEN = Resources.read(LockfileTest.class, "manifest.lock");

    @Test
    void formatsARealFloxLockByteForByte() {
        assertThat(Lockfile.parse(GOLDEN, "manifest.lock").format()).isEqualTo(GOLDEN);
    }

    @Test
    void readsCatalogPackagesPerSystem() {
        Lockfile lock = Lockfile.parse(GOLDEN, "manifest.lock");
        assertThat(lock.manifest().install().keySet()).containsExactly("coreutils", "gh", "jq");
        assertThat(lock.packages("x86_64-linux")).extracting(LockedPackage::installId)
                .containsExactly("coreutils", "gh", "jq");
        assertThat(lock.packages("aarch64-linux")).extracting(LockedPackage::installId).containsExactly("coreutils");
        LockedPackage.Catalog jq = (LockedPackage.Catalog) lock.packages("x86_64-linux").get(2);
        assertThat(jq.version()).isEqualTo("1.8.1");
        assertThat(jq.group()).isEqualTo("toplevel");
        assertThat(jq.priority()).isEqualTo(5);
    }

    @Test
    void installsTheOutputsToInstallOnceEach() {
        Lockfile lock = Lockfile.parse(GOLDEN, "manifest.lock");
        assertThat(lock.storePathsToInstall("x86_64-linux")).extracting(StorePath::toString).containsExactly(
                "/nix/store/sr26flm2nkfa12dkrwj2630kqsfakky4-coreutils-9.11",
                "/nix/store/zmby710xkfnzpq1wq3zxgp044724zwwb-gh-2.96.0",
                "/nix/store/q0pj1dw2nr57y6b4pqljklf0hy20alfj-jq-1.8.1-bin",
                "/nix/store/d21dmfzxkgpa7jkn5ggr0balzfg0j269-jq-1.8.1-man");
    }

    @Test
    void rootsOfASystemAreAllOutputsOfItsPackages() {
        Lockfile lock = Lockfile.parse(GOLDEN, "manifest.lock");
        assertThat(lock.storePaths("x86_64-linux")).hasSize(3 + 1 + 5);
        assertThat(lock.storePaths("aarch64-linux")).hasSize(3);
        assertThat(lock.storePaths("riscv64-linux")).isEmpty();
    }

    @Test
    void manifestOutputsAllOverridesOutputsToInstall() {
        String lock = GOLDEN.replace("\"version\": 1,\n    \"install\": {", "\"schema-version\": \"1.10.0\",\n    \"install\": {")
                .replace("\"pkg-path\": \"jq\"\n", "\"pkg-path\": \"jq\",\n        \"outputs\": \"all\"\n");
        assertThat(Lockfile.parse(lock, "manifest.lock").storePathsToInstall("x86_64-linux")).hasSize(1 + 1 + 5);
    }

    @Test
    void readsStorePathAndFlakePackages() {
        String json = """
                {
                  "lockfile-version": 1,
                  "manifest": {"version": 1, "install": {
                    "rg": {"flake": "github:BurntSushi/ripgrep"},
                    "gh": {"store-path": "/nix/store/0370cakz5b3yf6dlr2r75ybxsrjpp5k3-gh-2.96.0"}}},
                  "packages": [
                    {"install_id": "rg", "locked-url": "github:BurntSushi/ripgrep/abc", "locked-flake-attr-path": "packages.x86_64-linux.default",
                     "derivation": "/nix/store/knh1znqhi7kg50vj7wb7vyb8cxknv8jn-ripgrep.drv", "outputs": {"out": "/nix/store/nkm00gpkyg9dqlisnxffwjk647r4q81s-ripgrep-14"},
                     "output-names": ["out"], "outputs-to-install": ["out"], "package-system": "x86_64-linux", "system": "x86_64-linux", "name": "ripgrep-14", "priority": null},
                    {"install_id": "gh", "store_path": "/nix/store/0370cakz5b3yf6dlr2r75ybxsrjpp5k3-gh-2.96.0", "system": "x86_64-linux", "priority": 5}
                  ]
                }
                """;
        Lockfile lock = Lockfile.parse(json, "manifest.lock");
        assertThat(lock.packages("x86_64-linux")).hasExactlyElementsOfTypes(LockedPackage.Flake.class,
                LockedPackage.StorePathPackage.class);
        assertThat(lock.packages().getFirst().priority()).isEqualTo(5);
        assertThat(lock.storePathsToInstall("x86_64-linux")).extracting(StorePath::name).containsExactly("ripgrep-14", "gh-2.96.0");
    }

    @Test
    void keepsUnknownKeysInsidePackagesAsFloxDoes() {
        String lock = GOLDEN.replace("\"group\": \"toplevel\",\n      \"priority\": 5\n    }\n  ]",
                "\"group\": \"toplevel\",\n      \"priority\": 5,\n      \"insecure\": false\n    }\n  ]");
        assertThat(Lockfile.parse(lock, "manifest.lock").format()).isEqualTo(lock);
    }

    @Test
    void rejectsAnUnknownTopLevelKeyNamingIt() {
        String lock = GOLDEN.replace("  \"lockfile-version\": 1,\n", "  \"lockfile-version\": 1,\n  \"registry\": {},\n");
        assertThatThrownBy(() -> Lockfile.parse(lock, "manifest.lock"))
                .isInstanceOf(EnvironmentFormatException.class)
                .hasMessageStartingWith("manifest.lock:3: 'registry': unknown top-level key");
    }

    @Test
    void rejectsAnotherLockfileVersion() {
        assertThatThrownBy(() -> Lockfile.parse(GOLDEN.replace("\"lockfile-version\": 1", "\"lockfile-version\": 0"), "manifest.lock"))
                .hasMessageContaining("lockfile-version 0 is not supported");
    }

    @Test
    void namesTheLineAndPathOfABadStorePath() {
        String lock = GOLDEN.replace("/nix/store/zmby710xkfnzpq1wq3zxgp044724zwwb-gh-2.96.0", "/usr/bin/gh");
        assertThatThrownBy(() -> Lockfile.parse(lock, "manifest.lock"))
                .isInstanceOfSatisfying(EnvironmentFormatException.class, e -> {
                    assertThat(e.key()).isEqualTo("packages[2].outputs.out");
                    assertThat(e.line()).isEqualTo(lineOf(lock, "/usr/bin/gh"));
                });
    }

    @Test
    void validatesTheEmbeddedManifest() {
        String lock = GOLDEN.replace("\"pkg-path\": \"gh\"", "\"pkg-path\": \"gh\", \"colour\": \"red\"");
        assertThatThrownBy(() -> Lockfile.parse(lock, "manifest.lock"))
                .isInstanceOfSatisfying(EnvironmentFormatException.class, e -> {
                    assertThat(e.key()).isEqualTo("install.gh.colour");
                    assertThat(e.line()).isEqualTo(lineOf(lock, "\"colour\""));
                });
    }

    @Test
    void requiresTheKeysFloxRequires() {
        String lock = GOLDEN.replaceFirst("      \"install_id\": \"coreutils\",\n", "");
        assertThatThrownBy(() -> Lockfile.parse(lock, "manifest.lock"))
                .hasMessageContaining("'packages[0]': missing required key 'install_id'");
    }

    private static int lineOf(String text, String needle) {
        return (int) text.substring(0, text.indexOf(needle)).chars().filter(c -> c == '\n').count() + 1;
    }
}
