package org.imageless.nix.hash;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.imageless.nix.NixException;

/** The hash algorithms Nix knows, by their Nix names. */
public enum HashAlgorithm {
    MD5("md5", "MD5", 16),
    SHA1("sha1", "SHA-1", 20),
    SHA256("sha256", "SHA-256", 32),
    SHA512("sha512", "SHA-512", 64);

    private final String nixName;
    private final String jdkName;
    private final int size;

    HashAlgorithm(String nixName, String jdkName, int size) {
        this.nixName = nixName;
        this.jdkName = jdkName;
        this.size = size;
    }

    /** The name Nix prints ("sha256"). */
    public String nixName() {
        return nixName;
    }

    /** Digest length in bytes. */
    public int size() {
        return size;
    }

    public MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance(jdkName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK lacks " + jdkName, e);
        }
    }

    public static HashAlgorithm parse(String name) {
        for (HashAlgorithm a : values()) {
            if (a.nixName.equals(name)) {
                return a;
            }
        }
        throw NixException.invalid("unknown hash algorithm '%s', expected one of md5, sha1, sha256, sha512", name);
    }
}
