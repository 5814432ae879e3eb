package org.imageless.nix.refs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.imageless.nix.NixException;
import org.imageless.nix.nar.NarWriter;
import org.imageless.nix.store.StorePath;
import org.imageless.nix.testing.RealNix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReferenceScannerTest {

    private static final String A = "ci5axqfmv0jq95m0sszhsdxyg7an8gjv";
    private static final String B = "m61r2a2cb49dskyl0qx2di2894bz85z5";
    private static final String C = "iwfi9d4xgqyz43akfp7wvn7zdj34f1lk";

    @Test
    void findsAHashSplitAcrossWritesAtEveryPosition() {
        byte[] data = ("prefix /nix/store/" + A + "-name suffix").getBytes(StandardCharsets.US_ASCII);
        for (int split = 0; split <= data.length; split++) {
            ReferenceScanner s = new ReferenceScanner(List.of(A, B));
            s.write(data, 0, split);
            s.write(data, split, data.length - split);
            assertThat(s.found()).as("split at %d", split).containsExactly(A);
        }
    }

    @Test
    void findsHashesWrittenOneByteAtATimeAndInRandomChunks() {
        byte[] data = ("x" + A + "\0\1\2" + B + "ee" + C.substring(1)).getBytes(StandardCharsets.US_ASCII);
        ReferenceScanner bytewise = new ReferenceScanner(List.of(A, B, C));
        for (byte b : data) {
            bytewise.write(b);
        }
        assertThat(bytewise.found()).containsExactlyInAnyOrder(A, B);
        Random random = new Random(1);
        for (int round = 0; round < 200; round++) {
            ReferenceScanner s = new ReferenceScanner(List.of(A, B, C));
            int off = 0;
            while (off < data.length) {
                int n = Math.min(data.length - off, random.nextInt(40));
                s.write(data, off, n);
                off += n;
            }
            assertThat(s.found()).containsExactlyInAnyOrder(A, B);
        }
    }

    @Test
    void findsExactlyTheCandidatesThatOccurAsSubstringsOfRandomDataInRandomChunks() {
        Random random = new Random(7);
        String alphabet = org.imageless.nix.hash.NixBase32.ALPHABET + "e/-\0";
        for (int round = 0; round < 300; round++) {
            List<String> candidates = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                StringBuilder h = new StringBuilder();
                for (int j = 0; j < 32; j++) {
                    h.append(org.imageless.nix.hash.NixBase32.ALPHABET.charAt(random.nextInt(32)));
                }
                candidates.add(h.toString());
            }
            StringBuilder text = new StringBuilder();
            int pieces = random.nextInt(12);
            for (int p = 0; p < pieces; p++) {
                for (int k = random.nextInt(60); k > 0; k--) {
                    text.append(alphabet.charAt(random.nextInt(alphabet.length())));
                }
                String c = candidates.get(random.nextInt(candidates.size()));
                text.append(random.nextInt(4) == 0 ? c.substring(0, random.nextInt(32)) : c);
            }
            byte[] data = text.toString().getBytes(StandardCharsets.US_ASCII);
            ReferenceScanner s = new ReferenceScanner(candidates);
            int off = 0;
            while (off < data.length) {
                int n = Math.min(data.length - off, random.nextInt(70));
                s.write(data, off, n);
                off += n;
            }
            Set<String> expected = candidates.stream().filter(c -> text.indexOf(c) >= 0).collect(Collectors.toSet());
            assertThat(s.found()).as("round %d", round).isEqualTo(expected);
        }
    }

    @Test
    void findsAHashInsideALongerRunOfBase32Characters() {
        ReferenceScanner s = new ReferenceScanner(List.of(A));
        s.write(("0123456789abcd" + A + "zzzz").getBytes(StandardCharsets.US_ASCII));
        assertThat(s.found()).containsExactly(A);
    }

    @Test
    void ignoresTruncatedOrBrokenHashesAndNonCandidates() {
        ReferenceScanner s = new ReferenceScanner(List.of(A, B));
        s.write((A.substring(0, 31) + "-x " + B.substring(0, 10) + "e" + B.substring(11) + " " + C)
                .getBytes(StandardCharsets.US_ASCII));
        assertThat(s.found()).isEmpty();
    }

    @Test
    void rejectsACandidateThatIsNotAHashPart() {
        assertThatThrownBy(() -> new ReferenceScanner(List.of("not-a-hash")))
                .isInstanceOf(NixException.class)
                .hasMessageContaining("'not-a-hash' is not a store path hash part");
    }

    @Test
    void findsTheSameReferencesAsNixBuild(@TempDir Path dir) throws IOException {
        RealNix nix = RealNix.in(dir);
        List<String> deps = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            deps.add(nix.add(Files.writeString(dir.resolve("dep" + i), "dependency " + i)));
        }
        String[] hash = deps.stream().map(p -> StorePath.parse(p).hashPart()).toArray(String[]::new);
        // what the output will contain: dep0 by path, dep1 inside a longer base32 run, dep2 in binary
        // data past a large filler, dep3 not at all, dep4 only truncated, dep5 in a symlink target
        Path content = Files.createDirectory(dir.resolve("content"));
        Files.writeString(content.resolve("refs.txt"), "uses " + deps.get(0) + "/bin/x\nrun: 0abc" + hash[1] + "zz\n");
        Random random = new Random(42);
        try (OutputStream out = Files.newOutputStream(content.resolve("blob.bin"))) {
            byte[] filler = new byte[1 << 20];
            for (int i = 0; i < 5; i++) {
                random.nextBytes(filler);
                out.write(filler);
            }
            out.write(("\0" + deps.get(2) + "\0").getBytes(StandardCharsets.US_ASCII));
            random.nextBytes(filler);
            out.write(filler, 0, 12345);
        }
        Files.writeString(content.resolve("partial"), hash[4].substring(0, 31));
        Files.createSymbolicLink(content.resolve("link"), Path.of(deps.get(5) + "/lib"));
        String src = nix.add(content);

        String depsList = deps.stream().map(p -> "(builtins.storePath \"" + p + "\")").collect(Collectors.joining(" "));
        String out = nix.build("derivation { name = \"scanned\"; system = builtins.currentSystem; builder = \"/bin/sh\";"
                + " args = [ \"-c\" \"/bin/cp -R $src $out\" ]; src = builtins.storePath \"" + src + "\"; deps = [ " + depsList + " ]; }");
        Set<String> nixRefs = nix.references(out).stream().map(p -> StorePath.parse(p).hashPart()).collect(Collectors.toSet());

        List<String> candidates = new ArrayList<>(List.of(hash));
        candidates.add(StorePath.parse(src).hashPart());
        candidates.add(StorePath.parse(out).hashPart());
        ReferenceScanner scanner = new ReferenceScanner(candidates);
        NarWriter.dump(nix.realPath(out), scanner);

        assertThat(nixRefs).containsExactlyInAnyOrder(hash[0], hash[1], hash[2], hash[5]);
        assertThat(scanner.found()).isEqualTo(nixRefs);
    }
}
