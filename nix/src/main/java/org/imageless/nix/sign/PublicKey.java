package org.imageless.nix.sign;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import org.imageless.nix.NixException;

/**
 * A Nix binary-cache public key {@code <name>:<base64 of 32 bytes>}, as in {@code trusted-public-keys}
 * and as written by {@code nix-store --generate-binary-cache-key}.
 */
public final class PublicKey {

    private final String name;
    private final byte[] key;

    PublicKey(String name, byte[] key) {
        this.name = name;
        this.key = key.clone();
    }

    /** Parses {@code name:base64}; the key must decode to 32 bytes. Surrounding whitespace is ignored. */
    public static PublicKey parse(String text) {
        Ed25519.Named n = Ed25519.parseNamed("public key", text.strip(), Ed25519.PUBLIC_BYTES);
        return new PublicKey(n.name(), n.bytes());
    }

    public String name() {
        return name;
    }

    /**
     * Whether {@code sig} ({@code <name>:<base64 signature>}) is this key's signature of
     * {@code fingerprint}. A signature by another key name, or one that does not decode, is false.
     */
    public boolean verify(String fingerprint, String sig) {
        int colon = sig.indexOf(':');
        if (colon <= 0 || !sig.substring(0, colon).equals(name)) {
            return false;
        }
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(sig.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            return false;
        }
        return Ed25519.verify(key, fingerprint.getBytes(StandardCharsets.UTF_8), signature);
    }

    /** {@code name:base64}, the form Nix reads. */
    @Override
    public String toString() {
        return name + ":" + Base64.getEncoder().encodeToString(key);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PublicKey k && k.name.equals(name) && Arrays.equals(k.key, key);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(key);
    }

}
