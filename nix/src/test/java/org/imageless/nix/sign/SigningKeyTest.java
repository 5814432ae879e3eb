package org.imageless.nix.sign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.imageless.nix.NixException;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.narinfo.NarInfo;
import org.imageless.nix.store.StorePath;
import org.imageless.nix.testing.NixCacheFixture;
import org.imageless.nix.testing.RealNix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SigningKeyTest {

    @Test
    void readsAKeyPairNixGeneratedAndSignsExactlyAsNixDoes(@TempDir Path dir) throws Exception {
        NixCacheFixture fixture = new NixCacheFixture(dir);
        SigningKey ours = SigningKey.parse(fixture.key.secretKey());
        assertThat(ours.name()).isEqualTo("nix-test-key-1");
        assertThat(ours.publicKey()).isEqualTo(PublicKey.parse(fixture.key.publicKey()));
        assertThat(ours.publicKey()).hasToString(fixture.key.publicKey());
        assertThat(ours.toNixFormat()).isEqualTo(fixture.key.secretKey());
        Path cache = fixture.cache("none");
        try (Stream<Path> files = Files.list(cache)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".narinfo")).toList()) {
                NarInfo byNix = NarInfo.parse(Files.readString(f));
                // Ed25519 is deterministic: the same key signs the same fingerprint identically
                assertThat(ours.sign(byNix.fingerprint())).isEqualTo(byNix.sigs().getFirst());
            }
        }
    }

    @Test
    void nixAcceptsOurSignatureAndRejectsTheCacheWithoutIt(@TempDir Path dir) throws Exception {
        RealNix nix = RealNix.in(dir);
        // an input-addressed path (no CA field, so nix cannot accept it by content) in a cache we write ourselves
        Path input = Files.writeString(dir.resolve("payload"), "signed by the Java side\n");
        String added = nix.add(input);
        byte[] nar = nix.dump(input);
        Path cache = dir.resolve("our-cache");
        Files.createDirectories(cache.resolve("nar"));
        Hash narHash = Hash.sha256(nar);
        String narFile = "nar/" + narHash.base32Digest() + ".nar";
        Files.write(cache.resolve(narFile), nar);
        Files.writeString(cache.resolve("nix-cache-info"), "StoreDir: /nix/store\n");
        StorePath path = StorePath.parse(added);
        SigningKey ours = SigningKey.generate("java-side-1");
        NarInfo unsigned = new NarInfo(path, narFile, "none", java.util.Optional.of(narHash), nar.length, narHash,
                nar.length, List.of(), java.util.Optional.empty(), java.util.Optional.empty(), List.of(),
                java.util.Optional.empty());
        NarInfo signed = ours.addSignature(unsigned);
        assertThat(signed.sigs()).containsExactly(ours.sign(unsigned.fingerprint()));
        Files.writeString(cache.resolve(NarInfo.fileName(path)), signed.format());
        String from = "file://" + cache;

        RealNix.Result untrusted = copy(nix, from, dir.resolve("dest-untrusted"), SigningKey.generate("other-1").publicKey(), added);
        assertThat(untrusted.exitCode()).as("nix must check signatures: %s", untrusted.stderr()).isNotZero();
        assertThat(untrusted.stderr()).contains("lacks a valid signature");

        RealNix.Result trusted = copy(nix, from, dir.resolve("dest-trusted"), ours.publicKey(), added);
        assertThat(trusted.exitCode()).as(trusted.stderr()).isZero();
        assertThat(Files.readString(Path.of(dir.resolve("dest-trusted") + added))).isEqualTo("signed by the Java side\n");

        RealNix.Result verified = verify(nix, from, ours.publicKey(), added);
        assertThat(verified.exitCode()).as("nix store verify with our key: %s", verified.stderr()).isZero();
        RealNix.Result unverified = verify(nix, from, SigningKey.generate("other-2").publicKey(), added);
        assertThat(unverified.exitCode()).as("nix store verify with another key: %s", unverified.stderr()).isNotZero();
        assertThat(unverified.stderr()).contains("untrusted");
    }

    private static RealNix.Result verify(RealNix nix, String store, PublicKey trusted, String path) {
        return nix.tryRun(List.of("nix", "store", "verify", "--store", store, "--trusted-public-keys", trusted.toString(),
                "--sigs-needed", "1", path), null, Map.of());
    }

    private static RealNix.Result copy(RealNix nix, String from, Path dest, PublicKey trusted, String path) {
        String config = RealNix.NIX_CONFIG + "\nrequire-sigs = true\ntrusted-public-keys = " + trusted + "\n";
        return nix.tryRun(List.of("nix", "copy", "--from", from, "--to", dest.toString(), path), null,
                Map.of("NIX_CONFIG", config));
    }

    @Test
    void generatedKeysRoundTripThroughNixFormatAndVerify() {
        SigningKey key = SigningKey.generate("cache.example.org-1");
        SigningKey again = SigningKey.parse(key.toNixFormat() + "\n");
        assertThat(again.publicKey()).isEqualTo(key.publicKey());
        String sig = again.sign("1;/nix/store/x;sha256:y;1;");
        assertThat(sig).startsWith("cache.example.org-1:");
        assertThat(key.publicKey().verify("1;/nix/store/x;sha256:y;1;", sig)).isTrue();
        assertThat(key.publicKey().verify("1;/nix/store/x;sha256:y;2;", sig)).isFalse();
        assertThat(PublicKey.parse(key.publicKey().toString()).verify("1;/nix/store/x;sha256:y;1;", sig)).isTrue();
        assertThat(key.toString()).doesNotContain(key.toNixFormat().substring(20));
    }

    @Test
    void aSignatureByAnotherKeyNameOrGarbageDoesNotVerify() {
        SigningKey key = SigningKey.generate("k1");
        String sig = key.sign("fp");
        assertThat(key.publicKey().verify("fp", "k2" + sig.substring(2))).isFalse();
        assertThat(key.publicKey().verify("fp", "k1:not base64!")).isFalse();
        assertThat(key.publicKey().verify("fp", "k1:AAAA")).isFalse();
        assertThat(key.publicKey().verify("fp", "no colon")).isFalse();
    }

    @Test
    void rejectsMalformedKeysNamingTheProblemButNeverTheSecret() {
        assertThatThrownBy(() -> PublicKey.parse("nocolon")).isInstanceOf(NixException.class)
                .hasMessageContaining("'<name>:<base64>'");
        assertThatThrownBy(() -> PublicKey.parse("k:AAAA")).hasMessageContaining("'k' has 3 bytes, expected 32");
        assertThatThrownBy(() -> PublicKey.parse("k:%%%")).hasMessageContaining("not valid base64");
        byte[] secret = Base64.getDecoder().decode(SigningKey.generate("k").toNixFormat().substring(2));
        secret[40] ^= 1;
        String damaged = "k:" + Base64.getEncoder().encodeToString(secret);
        assertThatThrownBy(() -> SigningKey.parse(damaged)).hasMessageContaining("public half does not belong")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(damaged.substring(2))
                        .doesNotContain(HexFormat.of().formatHex(secret)));
    }

    @Test
    void trustedKeysParseNixsSettingAndNeedOneGoodSignature() {
        SigningKey a = SigningKey.generate("a-1");
        SigningKey b = SigningKey.generate("b-1");
        TrustedKeys trusted = TrustedKeys.parse(" " + a.publicKey() + "   " + b.publicKey() + "\n");
        assertThat(trusted.keys()).hasSize(2);
        NarInfo info = NarInfo.parse("""
                StorePath: /nix/store/4kvnn09jkkzjp059mmwpxfz5bcxm08h3-t
                URL: nar/x.nar
                Compression: none
                NarHash: sha256:0wpyr7iyfic1hc1wikbakgikpvf54qx17hncx2l4f3knm5n7k53y
                NarSize: 168
                References: \n""");
        assertThat(trusted.verifies(info)).isFalse();
        assertThat(trusted.verifies(info.withSignature(SigningKey.generate("c-1").sign(info.fingerprint())))).isFalse();
        assertThat(trusted.verifies(info.withSignature("a-1:garbage").withSignature(b.sign(info.fingerprint())))).isTrue();
        assertThat(TrustedKeys.none().verifies(info.withSignature(a.sign(info.fingerprint())))).isFalse();
    }
}
