package org.imageless.nix.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.hash.HashAlgorithm;
import org.imageless.nix.testing.RealNix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorePathTest {

    @Test
    void parsesAndPrintsAFullPath() {
        StorePath p = StorePath.parse("/nix/store/ci5axqfmv0jq95m0sszhsdxyg7an8gjv-src");
        assertThat(p.hashPart()).isEqualTo("ci5axqfmv0jq95m0sszhsdxyg7an8gjv");
        assertThat(p.name()).isEqualTo("src");
        assertThat(p).hasToString("/nix/store/ci5axqfmv0jq95m0sszhsdxyg7an8gjv-src");
    }

    @Test
    void rejectsEachBrokenRuleNamingTheValue() {
        assertThatThrownBy(() -> StorePath.parse("/usr/bin/ls")).hasMessageContaining("'/usr/bin/ls' is not in the Nix store");
        assertThatThrownBy(() -> StorePath.fromBaseName("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x"))
                .hasMessageContaining("illegal base-32 character 'e'");
        assertThatThrownBy(() -> StorePath.fromBaseName("ci5axqfmv0jq95m0sszhsdxyg7an8gjv-a b"))
                .hasMessageContaining("contains illegal character ' '");
        assertThatThrownBy(() -> StorePath.fromBaseName("ci5axqfmv0jq95m0sszhsdxyg7an8gjv-.hidden"))
                .hasMessageContaining("starts with illegal character '.'");
        assertThatThrownBy(() -> StorePath.fromBaseName("ci5axqfmv0jq95m0sszhsdxyg7an8gjv-" + "a".repeat(212)))
                .hasMessageContaining("longer than 211");
        assertThatThrownBy(() -> StorePath.fromBaseName("ci5axqfmv0jq95m0sszhsdxyg7an8gjvxsrc"))
                .hasMessageContaining("is not '<32-char hash>-<name>'");
    }

    @Test
    void sourcePathEqualsNixStoreAdd(@TempDir Path dir) throws Exception {
        RealNix nix = RealNix.in(dir);
        Path src = Files.createDirectories(dir.resolve("my-source"));
        Files.writeString(src.resolve("a"), "hello\n");
        Path file = Files.writeString(dir.resolve("single.txt"), "just a file");
        for (Path p : List.of(src, file)) {
            Hash narHash = Hash.parse(nix.hashPath(p));
            String expected = nix.add(p);
            assertThat(StorePaths.source(p.getFileName().toString(), narHash, Set.of(), false))
                    .hasToString(expected);
        }
    }

    @Test
    void textPathWithReferencesEqualsNixToFile(@TempDir Path dir) {
        RealNix nix = RealNix.in(dir);
        String dep = nix.add(writeFile(dir, "dep", "dependency"));
        String contents = "refers to " + dep;
        String expr = "builtins.toFile \"t.txt\" \"refers to ${builtins.storePath " + dep + "}\"";
        String nixPath = nix.runText("nix-instantiate", "--store", nix.storeUri(), "--eval", "--read-write-mode",
                "--expr", expr).replace("\"", "");
        assertThat(StorePaths.text("t.txt", contents.getBytes(StandardCharsets.UTF_8), Set.of(StorePath.parse(dep))))
                .hasToString(nixPath);
    }

    @Test
    void fixedOutputPathsEqualNixStoreAddFixed(@TempDir Path dir) throws Exception {
        RealNix nix = RealNix.in(dir);
        Path file = writeFile(dir, "payload.bin", "fixed output payload");
        String flat = nix.runText("nix-store", "--store", nix.storeUri(), "--add-fixed", "sha256", file.toString());
        assertThat(StorePaths.fixedOutput(FileIngestionMethod.FLAT, Hash.sha256(Files.readAllBytes(file)),
                "payload.bin", Set.of(), false)).hasToString(flat);
        String sha1Recursive = nix.runText("nix-store", "--store", nix.storeUri(), "--add-fixed", "--recursive",
                "sha1", file.toString());
        Hash narSha1 = Hash.of(HashAlgorithm.SHA1, nix.dump(file));
        assertThat(StorePaths.fixedOutput(FileIngestionMethod.RECURSIVE, narSha1, "payload.bin", Set.of(), false))
                .hasToString(sha1Recursive);
    }

    private static Path writeFile(Path dir, String name, String contents) {
        try {
            return Files.writeString(dir.resolve(name), contents);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
