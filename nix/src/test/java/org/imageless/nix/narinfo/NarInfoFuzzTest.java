package org.imageless.nix.narinfo;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.imageless.nix.NixException;

/**
 * Fuzzes {@link NarInfo#parse}: whatever text a cache serves, the parser either returns a narinfo
 * or throws {@link NixException}, and a parsed narinfo survives format → parse unchanged.
 *
 * <p>Without {@code JAZZER_FUZZ=1} this runs the seeds in {@code NarInfoFuzzTestInputs} as a
 * regression test; the surefire execution {@code fuzz-narinfo} in {@code nix/pom.xml} fuzzes it.
 */
class NarInfoFuzzTest {

    @FuzzTest(maxDuration = "25s")
    @DictionaryEntries({"StorePath: /nix/store/", "URL: nar/", "Compression: xz", "FileHash: sha256:",
            "FileSize: ", "NarHash: sha256:", "NarSize: ", "References: ", "Deriver: ", "System: ", "Sig: ",
            "CA: text:sha256:", "CA: fixed:r:sha256:", "CA: fixed:sha1:", "unknown-deriver", "sha256-", "md5:",
            "0wpyr7iyfic1hc1wikbakgikpvf54qx17hncx2l4f3knm5n7k53y", "i1j3ls10n66w1rqzxjmzvpg859cwk2yr-dep"})
    void parseThrowsOnlyNixExceptionAndRoundTrips(FuzzedDataProvider data) {
        String text = data.consumeRemainingAsString();
        NarInfo info;
        try {
            info = NarInfo.parse(text);
        } catch (NixException expected) {
            return;
        }
        String formatted = info.format();
        assertThat(NarInfo.parse(formatted)).isEqualTo(info);
        assertThat(NarInfo.parse(formatted).format()).isEqualTo(formatted);
        assertThat(info.fingerprint()).startsWith("1;" + info.storePath() + ";");
    }
}
