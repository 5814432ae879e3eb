package org.imageless.nix.narinfo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.imageless.nix.NixException;
import org.imageless.nix.sign.PublicKey;
import org.imageless.nix.store.StorePath;
import org.imageless.nix.testing.NixCacheFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NarInfoTest {

    /** Written by nix 2.8 ({@code nix copy --to file://…?compression=xz}) for a text path with one reference. */
    static final String NIX_WRITTEN = """
            StorePath: /nix/store/4kvnn09jkkzjp059mmwpxfz5bcxm08h3-t
            URL: nar/04gw6wc5m009v2jg1mviwm2pi416qk2wmbvpz0kl7ada7xgz4y36.nar.xz
            Compression: xz
            FileHash: sha256:04gw6wc5m009v2jg1mviwm2pi416qk2wmbvpz0kl7ada7xgz4y36
            FileSize: 176
            NarHash: sha256:0wpyr7iyfic1hc1wikbakgikpvf54qx17hncx2l4f3knm5n7k53y
            NarSize: 168
            References: i1j3ls10n66w1rqzxjmzvpg859cwk2yr-dep
            Sig: test1:3wI6WDsu1KZBN0xa5DTVIfc0IYPI/n7vPGHTvmh/EpgoPmeA66LWy9hSqp5ZLsZzlefhvfjsiEZp8xP3T6cFAg==
            CA: text:sha256:17fjg3z41qm6q7z0hblx6bshgb9hdjhd3cyasjlyggz1r4g2idpi
            """;
    static final String NIX_WRITTEN_KEY = "test1:1i0PMk5+pXuQ/PO9k2muz/lplZKJIDts8vYt1uba74A=";

    @TempDir
    static Path dir;
    static NixCacheFixture fixture;

    @BeforeAll
    static void buildCaches() {
        fixture = new NixCacheFixture(dir);
    }

    @Test
    void parsesEveryFieldOfANarinfoNixWrote() {
        NarInfo info = NarInfo.parse(NIX_WRITTEN);
        assertThat(info.storePath()).hasToString("/nix/store/4kvnn09jkkzjp059mmwpxfz5bcxm08h3-t");
        assertThat(info.url()).isEqualTo("nar/04gw6wc5m009v2jg1mviwm2pi416qk2wmbvpz0kl7ada7xgz4y36.nar.xz");
        assertThat(info.compression()).isEqualTo("xz");
        assertThat(info.fileHash()).map(h -> h.toBase32())
                .contains("sha256:04gw6wc5m009v2jg1mviwm2pi416qk2wmbvpz0kl7ada7xgz4y36");
        assertThat(info.fileSize()).isEqualTo(176);
        assertThat(info.narSize()).isEqualTo(168);
        assertThat(info.references()).containsExactly(StorePath.fromBaseName("i1j3ls10n66w1rqzxjmzvpg859cwk2yr-dep"));
        assertThat(info.deriver()).isEmpty();
        assertThat(info.sigs()).hasSize(1);
        assertThat(info.ca()).contains("text:sha256:17fjg3z41qm6q7z0hblx6bshgb9hdjhd3cyasjlyggz1r4g2idpi");
        assertThat(info.format()).isEqualTo(NIX_WRITTEN);
        assertThat(info.fingerprint()).isEqualTo("1;/nix/store/4kvnn09jkkzjp059mmwpxfz5bcxm08h3-t;"
                + "sha256:0wpyr7iyfic1hc1wikbakgikpvf54qx17hncx2l4f3knm5n7k53y;168;"
                + "/nix/store/i1j3ls10n66w1rqzxjmzvpg859cwk2yr-dep");
        assertThat(PublicKey.parse(NIX_WRITTEN_KEY).verify(info.fingerprint(), info.sigs().getFirst())).isTrue();
    }

    @Test
    void reproducesEveryNarinfoNixWritesByteForByteAndVerifiesItsSignatures() throws Exception {
        PublicKey nixKey = PublicKey.parse(fixture.key.publicKey());
        List<String> seen = new ArrayList<>();
        for (String compression : NixCacheFixture.COMPRESSIONS) {
            Path cache = fixture.cache(compression);
            List<Path> files;
            try (Stream<Path> s = Files.list(cache)) {
                files = s.filter(p -> p.toString().endsWith(".narinfo")).sorted().toList();
            }
            assertThat(files).hasSize(fixture.closure().size());
            for (Path file : files) {
                String text = Files.readString(file);
                NarInfo info = NarInfo.parse(text);
                assertThat(info.format()).as("format of %s", file).isEqualTo(text);
                assertThat(info.compression()).isEqualTo(compression);
                assertThat(info.sigs()).hasSize(1);
                assertThat(nixKey.verify(info.fingerprint(), info.sigs().getFirst())).as("nix's signature of %s", file)
                        .isTrue();
                assertThat(file.getFileName().toString()).isEqualTo(NarInfo.fileName(info.storePath()));
                seen.add(info.storePath().toString());
            }
        }
        assertThat(seen).containsAll(fixture.closure());
    }

    @Test
    void referencesAreBaseNamesSortedAsNixSortsThem() throws Exception {
        Path file = fixture.cache("none").resolve(StorePath.parse(fixture.middle).hashPart() + ".narinfo");
        NarInfo info = NarInfo.parse(Files.readString(file));
        assertThat(info.references()).hasSize(2).isSorted();
        String refsLine = Files.readString(file).lines().filter(l -> l.startsWith("References: ")).findFirst().orElseThrow();
        assertThat(refsLine).doesNotContain("/nix/store");
        assertThat(info.fingerprint()).endsWith(";" + info.references().get(0) + "," + info.references().get(1));
    }

    @Test
    void ignoresUnknownKeysAsNixDoes() {
        NarInfo info = NarInfo.parse(NIX_WRITTEN + "Future: something new\n");
        assertThat(info.format()).isEqualTo(NIX_WRITTEN);
    }

    @Test
    void keepsDeriverAndSystemAndTreatsUnknownDeriverAsNone() {
        String withDeriver = NIX_WRITTEN.replace("Sig:", "Deriver: i1j3ls10n66w1rqzxjmzvpg859cwk2yr-t.drv\nSystem: x86_64-linux\nSig:");
        NarInfo info = NarInfo.parse(withDeriver);
        assertThat(info.deriver()).map(StorePath::baseName).contains("i1j3ls10n66w1rqzxjmzvpg859cwk2yr-t.drv");
        assertThat(info.system()).contains("x86_64-linux");
        assertThat(info.format()).isEqualTo(withDeriver);
        assertThat(NarInfo.parse(NIX_WRITTEN.replace("Sig:", "Deriver: unknown-deriver\nSig:")).deriver()).isEmpty();
    }

    @Test
    void defaultsCompressionToBzip2AndAcceptsMissingFileHashLikeNix() {
        String minimal = """
                StorePath: /nix/store/4kvnn09jkkzjp059mmwpxfz5bcxm08h3-t
                URL: nar/x.nar.bz2
                NarHash: sha256:0wpyr7iyfic1hc1wikbakgikpvf54qx17hncx2l4f3knm5n7k53y
                NarSize: 168
                """;
        NarInfo info = NarInfo.parse(minimal);
        assertThat(info.compression()).isEqualTo("bzip2");
        assertThat(info.fileHash()).isEmpty();
        assertThat(info.references()).isEmpty();
        assertThat(NarInfo.parse(info.format())).isEqualTo(info);
    }

    @Test
    void acceptsHashesInEveryEncodingAndPrintsThemInNixBase32() {
        NarInfo info = NarInfo.parse(NIX_WRITTEN.replace("sha256:0wpyr7iyfic1hc1wikbakgikpvf54qx17hncx2l4f3knm5n7k53y",
                NarInfo.parse(NIX_WRITTEN).narHash().toSri()));
        assertThat(info.format()).isEqualTo(NIX_WRITTEN);
    }

    @Test
    void withSignatureAddsASignatureInSortedOrderOnce() {
        NarInfo info = NarInfo.parse(NIX_WRITTEN);
        NarInfo signed = info.withSignature("a-key:AAAA").withSignature("a-key:AAAA");
        assertThat(signed.sigs()).containsExactly("a-key:AAAA", info.sigs().getFirst());
        assertThat(signed.format()).contains("Sig: a-key:AAAA\nSig: test1:");
    }

    @Test
    void rejectsMissingRequiredKeysNamingThem() {
        assertThatThrownBy(() -> NarInfo.parse(without("StorePath"))).isInstanceOf(NixException.class)
                .hasMessageContaining("StorePath is missing");
        assertThatThrownBy(() -> NarInfo.parse(without("NarHash"))).hasMessageContaining("NarHash is missing");
        assertThatThrownBy(() -> NarInfo.parse(without("URL"))).hasMessageContaining("URL is missing");
        assertThatThrownBy(() -> NarInfo.parse(without("NarSize"))).hasMessageContaining("NarSize is missing");
        assertThatThrownBy(() -> NarInfo.parse("")).hasMessageContaining("StorePath is missing");
    }

    @Test
    void rejectsMalformedValuesNamingLineKeyAndValue() {
        assertThatThrownBy(() -> NarInfo.parse(NIX_WRITTEN.replace("NarSize: 168", "NarSize: -1")))
                .satisfies(e -> assertThat(((NixException) e).kind()).isEqualTo(NixException.Kind.CORRUPT))
                .hasMessageContaining("line 7: NarSize '-1'");
        assertThatThrownBy(() -> NarInfo.parse(NIX_WRITTEN.replace("FileSize: 176", "FileSize: 12x")))
                .hasMessageContaining("line 5: FileSize '12x'");
        assertThatThrownBy(() -> NarInfo.parse(NIX_WRITTEN.replace("NarHash: sha256:0w", "NarHash: sha256:ew")))
                .hasMessageContaining("line 6: NarHash 'sha256:ew");
        assertThatThrownBy(() -> NarInfo.parse(NIX_WRITTEN.replace("References: i1j3", "References: /nix/store/i1j3")))
                .hasMessageContaining("line 8: References");
        assertThatThrownBy(() -> NarInfo.parse(NIX_WRITTEN.replace("StorePath: /nix/store/", "StorePath: /gnu/store/")))
                .hasMessageContaining("line 1: StorePath '/gnu/store/");
        assertThatThrownBy(() -> NarInfo.parse(NIX_WRITTEN.replace("CA: text:", "CA: nonsense:")))
                .hasMessageContaining("line 10: CA 'nonsense:");
        assertThatThrownBy(() -> NarInfo.parse(NIX_WRITTEN.replace("NarSize: 168", "NarSize: 0")))
                .hasMessageContaining("NarSize is missing or 0");
        assertThatThrownBy(() -> NarInfo.parse(NIX_WRITTEN.replace("NarHash: sha256:0wpyr7iyfic1hc1wikbakgikpvf54qx17hncx2l4f3knm5n7k53y",
                "NarHash: sha1:0000000000000000000000000000000000000000"))).hasMessageContaining("expected sha256");
    }

    @Test
    void rejectsLinesThatAreNotKeyColonSpaceValueAndAMissingFinalNewline() {
        assertThatThrownBy(() -> NarInfo.parse(NIX_WRITTEN + "garbage\n")).hasMessageContaining("line 11: 'garbage' is not 'Key: value'");
        assertThatThrownBy(() -> NarInfo.parse(NIX_WRITTEN.stripTrailing())).hasMessageContaining("line 10: does not end with a newline");
        assertThatThrownBy(() -> NarInfo.parse(NIX_WRITTEN.replace("\n", "\r\n"))).hasMessageContaining("line 1: StorePath");
    }

    @Test
    void rejectsARepeatedSingleValuedKeyButAcceptsSeveralSignatures() {
        assertThatThrownBy(() -> NarInfo.parse(NIX_WRITTEN + "NarSize: 168\n"))
                .hasMessageContaining("line 11: key NarSize appears more than once");
        assertThat(NarInfo.parse(NIX_WRITTEN + "Sig: other:AAAA\n").sigs()).hasSize(2);
    }

    private static String without(String key) {
        return NIX_WRITTEN.lines().filter(l -> !l.startsWith(key + ": ")).map(l -> l + "\n")
                .reduce("", String::concat);
    }

}
