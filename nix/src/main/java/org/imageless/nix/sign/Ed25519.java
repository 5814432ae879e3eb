package org.imageless.nix.sign;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.EdECPoint;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.Base64;
import org.imageless.nix.NixException;

/** Raw Ed25519 keys (libsodium's encodings, as Nix stores them) on top of the JDK's EdDSA. */
final class Ed25519 {

    static final int SEED_BYTES = 32;
    static final int PUBLIC_BYTES = 32;
    static final int SECRET_BYTES = 64;
    static final int SIGNATURE_BYTES = 64;

    private Ed25519() {}

    /** The public key (32 bytes) belonging to a 32-byte seed. */
    static byte[] publicFromSeed(byte[] seed) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
            g.initialize(NamedParameterSpec.ED25519, new FixedRandom(seed));
            return encodePoint(((EdECPublicKey) g.generateKeyPair().getPublic()).getPoint());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks Ed25519", e);
        }
    }

    /** A fresh seed and its public key: {@code seed || public}, libsodium's 64-byte secret key. */
    static byte[] generateSecret() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
            KeyPair kp = g.generateKeyPair();
            byte[] seed = ((EdECPrivateKey) kp.getPrivate()).getBytes()
                    .orElseThrow(() -> new IllegalStateException("Ed25519 private key has no raw bytes"));
            byte[] pub = encodePoint(((EdECPublicKey) kp.getPublic()).getPoint());
            byte[] secret = new byte[SECRET_BYTES];
            System.arraycopy(seed, 0, secret, 0, SEED_BYTES);
            System.arraycopy(pub, 0, secret, SEED_BYTES, PUBLIC_BYTES);
            return secret;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks Ed25519", e);
        }
    }

    static byte[] sign(byte[] seed, byte[] message) {
        try {
            KeyFactory kf = KeyFactory.getInstance("Ed25519");
            var key = kf.generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        if (signature.length != SIGNATURE_BYTES) {
            return false;
        }
        try {
            KeyFactory kf = KeyFactory.getInstance("Ed25519");
            var key = kf.generatePublic(new EdECPublicKeySpec(NamedParameterSpec.ED25519, decodePoint(publicKey)));
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false; // an invalid point or signature encoding does not verify
        }
    }

    /** RFC 8032 encoding: y little-endian, the top bit of the last byte is x's parity. */
    static byte[] encodePoint(EdECPoint p) {
        byte[] be = p.getY().toByteArray();
        byte[] le = new byte[PUBLIC_BYTES];
        for (int i = 0; i < PUBLIC_BYTES && i < be.length; i++) {
            le[i] = be[be.length - 1 - i];
        }
        if (p.isXOdd()) {
            le[PUBLIC_BYTES - 1] |= (byte) 0x80;
        }
        return le;
    }

    static EdECPoint decodePoint(byte[] le) {
        boolean xOdd = (le[PUBLIC_BYTES - 1] & 0x80) != 0;
        byte[] be = new byte[PUBLIC_BYTES];
        for (int i = 0; i < PUBLIC_BYTES; i++) {
            be[i] = le[PUBLIC_BYTES - 1 - i];
        }
        be[0] &= 0x7f;
        return new EdECPoint(xOdd, new BigInteger(1, be));
    }

    /** Splits {@code name:base64} and decodes the base64 to exactly {@code size} bytes. */
    static Named parseNamed(String what, String s, int size) {
        int colon = s.indexOf(':');
        if (colon <= 0) {
            throw NixException.invalid("%s does not have the form '<name>:<base64>'", what);
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(s.substring(colon + 1).strip());
        } catch (IllegalArgumentException e) {
            throw NixException.invalid("%s '%s' is not valid base64 after the name", what, s.substring(0, colon));
        }
        if (bytes.length != size) {
            throw NixException.invalid("%s '%s' has %d bytes, expected %d", what, s.substring(0, colon),
                    bytes.length, size);
        }
        return new Named(s.substring(0, colon), bytes);
    }

    record Named(String name, byte[] bytes) {}

    /** A "random" source that yields the given seed: makes the JDK derive a key pair from it. */
    private static final class FixedRandom extends SecureRandom {
        private static final long serialVersionUID = 1L;
        private final byte[] seed;

        FixedRandom(byte[] seed) {
            this.seed = seed.clone();
        }

        @Override
        public void nextBytes(byte[] bytes) {
            if (bytes.length != seed.length) {
                throw new IllegalStateException("expected a request for " + seed.length + " bytes");
            }
            System.arraycopy(seed, 0, bytes, 0, bytes.length);
        }
    }
}
