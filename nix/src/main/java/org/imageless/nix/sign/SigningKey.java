package org.imageless.nix.sign;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import org.imageless.nix.NixException;
import org.imageless.nix.narinfo.NarInfo;

/**
 * A Nix binary-cache secret key {@code <name>:<base64 of 64 bytes>} as written by
 * {@code nix-store --generate-binary-cache-key}: libsodium's secret key, the 32-byte Ed25519 seed
 * followed by the 32-byte public key. {@link #toString()} does not reveal the secret; use
 * {@link #toNixFormat()} to write it to a key file.
 */
public final class SigningKey {

    private final String name;
    private final byte[] secret;

    private SigningKey(String name, byte[] secret) {
        this.name = name;
        this.secret = secret.clone();
    }

    /**
     * Parses a secret key file's contents. The embedded public half must belong to the seed.
     *
     * @throws NixException INVALID naming the key name (never the secret) and what is wrong
     */
    public static SigningKey parse(String text) {
        Ed25519.Named n = Ed25519.parseNamed("secret key", text.strip(), Ed25519.SECRET_BYTES);
        byte[] seed = Arrays.copyOf(n.bytes(), Ed25519.SEED_BYTES);
        byte[] embedded = Arrays.copyOfRange(n.bytes(), Ed25519.SEED_BYTES, Ed25519.SECRET_BYTES);
        if (!Arrays.equals(Ed25519.publicFromSeed(seed), embedded)) {
            throw NixException.invalid("secret key '%s' is damaged: its public half does not belong to its seed",
                    n.name());
        }
        return new SigningKey(n.name(), n.bytes());
    }

    /** A new random key pair named {@code name} (e.g. {@code cache.example.org-1}), as Nix would generate. */
    public static SigningKey generate(String name) {
        if (name.isEmpty() || name.indexOf(':') >= 0 || name.chars().anyMatch(Character::isWhitespace)) {
            throw NixException.invalid("key name '%s' must be non-empty without ':' or whitespace", name);
        }
        return new SigningKey(name, Ed25519.generateSecret());
    }

    public String name() {
        return name;
    }

    /** Signs {@code fingerprint} (see {@code NarInfo.fingerprint()}); returns {@code name:base64sig}. */
    public String sign(String fingerprint) {
        byte[] sig = Ed25519.sign(Arrays.copyOf(secret, Ed25519.SEED_BYTES), fingerprint.getBytes(StandardCharsets.UTF_8));
        return name + ":" + Base64.getEncoder().encodeToString(sig);
    }

    /** {@code info} with this key's signature of its fingerprint added (as {@code nix store sign} does). */
    public NarInfo addSignature(NarInfo info) {
        return info.withSignature(sign(info.fingerprint()));
    }

    public PublicKey publicKey() {
        return new PublicKey(name, Arrays.copyOfRange(secret, Ed25519.SEED_BYTES, Ed25519.SECRET_BYTES));
    }

    /** {@code name:base64-of-64-bytes}, what {@code nix-store --generate-binary-cache-key} writes. */
    public String toNixFormat() {
        return name + ":" + Base64.getEncoder().encodeToString(secret);
    }

    /** The name only: the secret never ends up in logs. */
    @Override
    public String toString() {
        return "SigningKey[" + name + "]";
    }
}
