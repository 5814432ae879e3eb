package org.imageless.nix.hash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.imageless.nix.NixException;
import org.imageless.nix.testing.RealNix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NixBase32Test {

    @Test
    void roundTripsRandomBytesOfEveryHashSize() {
        Random random = new Random(42);
        for (int size : new int[] {1, 16, 20, 32, 64}) {
            for (int i = 0; i < 200; i++) {
                byte[] bytes = new byte[size];
                random.nextBytes(bytes);
                String encoded = NixBase32.encode(bytes);
                assertThat(encoded).hasSize(NixBase32.encodedLength(size));
                assertThat(NixBase32.decode(encoded, size)).isEqualTo(bytes);
            }
        }
    }

    @Test
    void rejectsCharactersOutsideTheAlphabet() {
        String withE = "e".repeat(52);
        assertThatThrownBy(() -> NixBase32.decode(withE, 32))
                .isInstanceOf(NixException.class)
                .hasMessageContaining("illegal character 'e'");
    }

    @Test
    void rejectsEncodingsWithHighBitsBeyondTheByteCount() {
        // 52 chars carry 260 bits; a 'z' (31) in the first position sets bits beyond 256
        String overflow = "z" + "0".repeat(51);
        assertThatThrownBy(() -> NixBase32.decode(overflow, 32)).hasMessageContaining("high bits");
    }

    @Test
    void matchesNixHashToBase32OnRealHashes(@TempDir Path dir) throws Exception {
        RealNix nix = RealNix.in(dir);
        Random random = new Random(7);
        for (int i = 0; i < 5; i++) {
            byte[] data = new byte[random.nextInt(1000)];
            random.nextBytes(data);
            Path file = dir.resolve("f" + i);
            Files.write(file, data);
            String nixBase32 = nix.runText("nix", "hash", "file", "--type", "sha256", "--base32", file.toString());
            assertThat(Hash.sha256(data).base32Digest()).isEqualTo(nixBase32);
            String nixSri = nix.runText("nix", "hash", "file", "--type", "sha512", "--sri", file.toString());
            assertThat(Hash.of(HashAlgorithm.SHA512, data).toSri()).isEqualTo(nixSri);
            String base16 = nix.runText("nix", "hash", "file", "--type", "sha1", "--base16", file.toString());
            assertThat(Hash.of(HashAlgorithm.SHA1, data).base16Digest()).isEqualTo(base16);
        }
    }

    @Test
    void parsesEveryFormNixPrints() {
        Hash h = Hash.sha256("hello".getBytes(StandardCharsets.UTF_8));
        assertThat(Hash.parse(h.toBase32())).isEqualTo(h);
        assertThat(Hash.parse(h.toBase16())).isEqualTo(h);
        assertThat(Hash.parse(h.toSri())).isEqualTo(h);
        assertThat(Hash.parse("sha256:" + java.util.Base64.getEncoder().encodeToString(h.bytes()))).isEqualTo(h);
        assertThatThrownBy(() -> Hash.parse("sha256:abc")).hasMessageContaining("wrong length");
        assertThatThrownBy(() -> Hash.parse("blake3:abc")).hasMessageContaining("unknown hash algorithm 'blake3'");
        assertThatThrownBy(() -> Hash.parse("abc")).hasMessageContaining("does not include a type");
    }
}
