package org.imageless.nix.hash;

import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.imageless.nix.NixException;

/**
 * A digest with its algorithm. Parses every form Nix prints or accepts: {@code sha256:<base32>},
 * {@code sha256:<base16>}, {@code sha256:<base64>}, SRI {@code sha256-<base64>}; prints each of them.
 */
public record Hash(HashAlgorithm algorithm, byte[] bytes) {

    public Hash {
        if (bytes.length != algorithm.size()) {
            throw NixException.invalid("%s hash has %d bytes, expected %d",
                    algorithm.nixName(), bytes.length, algorithm.size());
        }
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    public static Hash of(HashAlgorithm algorithm, byte[] data) {
        return new Hash(algorithm, algorithm.newDigest().digest(data));
    }

    public static Hash sha256(byte[] data) {
        return of(HashAlgorithm.SHA256, data);
    }

    /** Parses {@code algo:digest} (digest in base16, nix-base32 or base64) or SRI {@code algo-base64}. */
    public static Hash parse(String s) {
        int colon = s.indexOf(':');
        int dash = s.indexOf('-');
        if (colon > 0) {
            return parseDigest(HashAlgorithm.parse(s.substring(0, colon)), s.substring(colon + 1), s);
        }
        if (dash > 0) {
            HashAlgorithm algorithm = HashAlgorithm.parse(s.substring(0, dash));
            return new Hash(algorithm, decodeBase64(s.substring(dash + 1), algorithm, s));
        }
        throw NixException.invalid("hash '%s' does not include a type, expected '<algo>:<digest>' or SRI '<algo>-<base64>'", s);
    }

    /** Parses a bare digest of a known algorithm, in base16, nix-base32 or base64. */
    public static Hash parseDigest(HashAlgorithm algorithm, String digest) {
        return parseDigest(algorithm, digest, digest);
    }

    private static Hash parseDigest(HashAlgorithm algorithm, String digest, String whole) {
        int size = algorithm.size();
        if (digest.length() == size * 2) {
            try {
                return new Hash(algorithm, HexFormat.of().parseHex(digest));
            } catch (IllegalArgumentException e) {
                throw NixException.invalid("hash '%s' is not valid base16", whole);
            }
        }
        if (digest.length() == NixBase32.encodedLength(size)) {
            return new Hash(algorithm, NixBase32.decode(digest, size));
        }
        if (digest.length() == (size + 2) / 3 * 4) {
            return new Hash(algorithm, decodeBase64(digest, algorithm, whole));
        }
        throw NixException.invalid("hash '%s' has wrong length for hash type '%s'", whole, algorithm.nixName());
    }

    private static byte[] decodeBase64(String b64, HashAlgorithm algorithm, String whole) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw NixException.invalid("hash '%s' is not valid base64", whole);
        }
        if (bytes.length != algorithm.size()) {
            throw NixException.invalid("hash '%s' has wrong length for hash type '%s'", whole, algorithm.nixName());
        }
        return bytes;
    }

    /** {@code sha256:<nix-base32>}, as in narinfo files. */
    public String toBase32() {
        return algorithm.nixName() + ":" + NixBase32.encode(bytes);
    }

    /** {@code sha256:<hex>}, as in the store path fingerprint. */
    public String toBase16() {
        return algorithm.nixName() + ":" + HexFormat.of().formatHex(bytes);
    }

    /** {@code sha256-<base64>}, as {@code nix hash path} prints. */
    public String toSri() {
        return algorithm.nixName() + "-" + Base64.getEncoder().encodeToString(bytes);
    }

    /** The bare nix-base32 digest, without the algorithm. */
    public String base32Digest() {
        return NixBase32.encode(bytes);
    }

    /** The bare hex digest, without the algorithm. */
    public String base16Digest() {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Hash h && h.algorithm == algorithm && Arrays.equals(h.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return algorithm.hashCode() * 31 + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return toSri();
    }
}
