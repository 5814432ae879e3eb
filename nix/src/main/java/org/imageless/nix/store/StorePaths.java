package org.imageless.nix.store;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.TreeSet;
import org.imageless.nix.NixException;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.hash.HashAlgorithm;
import org.imageless.nix.hash.NixBase32;

/**
 * Store path computation exactly as Nix's {@code makeStorePath}: the SHA-256 of
 * {@code <type>:sha256:<hex>:/nix/store:<name>}, XOR-folded to 160 bits.
 */
public final class StorePaths {

    private StorePaths() {}

    /** Nix's {@code makeStorePath(type, hash, name)}. */
    public static StorePath make(String type, Hash innerHash, String name) {
        String fingerprint = type + ":" + innerHash.toBase16() + ":" + StorePath.STORE_DIR + ":" + name;
        byte[] digest = Hash.sha256(fingerprint.getBytes(StandardCharsets.UTF_8)).bytes();
        return new StorePath(NixBase32.encode(compress(digest, StorePath.HASH_BYTES)), name);
    }

    /** XOR-folds {@code hash} into {@code size} bytes (Nix's {@code compressHash}). */
    static byte[] compress(byte[] hash, int size) {
        byte[] out = new byte[size];
        for (int i = 0; i < hash.length; i++) {
            out[i % size] ^= hash[i];
        }
        return out;
    }

    /** The type string: {@code <type>(:<ref>)*(:self)?}, references sorted as Nix's set orders them. */
    static String type(String type, Collection<StorePath> references, boolean selfReference) {
        StringBuilder s = new StringBuilder(type);
        for (StorePath ref : new TreeSet<>(references)) {
            s.append(':').append(ref);
        }
        if (selfReference) {
            s.append(":self");
        }
        return s.toString();
    }

    /**
     * The path of a source added with {@code nix-store --add} (recursive, SHA-256 over the NAR),
     * with its references; {@code selfReference} when the contents mention their own path.
     */
    public static StorePath source(String name, Hash narHash, Collection<StorePath> references, boolean selfReference) {
        requireSha256(narHash, "a source path");
        checkNameOnly(name);
        return make(type("source", references, selfReference), narHash, name);
    }

    /** The path of a text file added with {@code builtins.toFile} / {@code addTextToStore}. */
    public static StorePath text(String name, byte[] contents, Collection<StorePath> references) {
        checkNameOnly(name);
        return make(type("text", references, false), Hash.sha256(contents), name);
    }

    /** The path of a fixed-output derivation's output or of {@code nix-store --add-fixed}. */
    public static StorePath fixedOutput(FileIngestionMethod method, Hash hash, String name,
                                        Collection<StorePath> references, boolean selfReference) {
        checkNameOnly(name);
        if (method == FileIngestionMethod.RECURSIVE && hash.algorithm() == HashAlgorithm.SHA256) {
            return make(type("source", references, selfReference), hash, name);
        }
        if (!references.isEmpty() || selfReference) {
            throw NixException.invalid("fixed-output path '%s' cannot have references unless it is recursive sha256", name);
        }
        String inner = "fixed:out:" + (method == FileIngestionMethod.RECURSIVE ? "r:" : "") + hash.toBase16() + ":";
        return make("output:out", Hash.sha256(inner.getBytes(StandardCharsets.UTF_8)), name);
    }

    private static void requireSha256(Hash hash, String what) {
        if (hash.algorithm() != HashAlgorithm.SHA256) {
            throw NixException.invalid("%s needs a sha256 hash, got %s", what, hash.algorithm().nixName());
        }
    }

    private static void checkNameOnly(String name) {
        StorePath.checkName(name, name);
    }
}
