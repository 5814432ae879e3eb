package org.imageless.nix.store;

import org.imageless.nix.NixException;
import org.imageless.nix.hash.NixBase32;

/**
 * A store path {@code /nix/store/<hash>-<name>}: 32 nix-base32 characters (160 bits), a dash and a
 * name of at most 211 characters from {@code [A-Za-z0-9+-._?=]} that does not start with a dot.
 * Validated on construction, so code holding a {@code StorePath} never checks again.
 */
public record StorePath(String hashPart, String name) implements Comparable<StorePath> {

    /** The store directory. Fixed: every path we deal in is a {@code /nix/store} path. */
    public static final String STORE_DIR = "/nix/store";

    public static final int HASH_LENGTH = 32;
    public static final int HASH_BYTES = 20;
    public static final int MAX_NAME_LENGTH = 211;

    public StorePath {
        String shown = hashPart + "-" + name;
        if (hashPart.length() != HASH_LENGTH) {
            throw NixException.invalid("store path '%s' has a hash part of %d characters, expected %d",
                    shown, hashPart.length(), HASH_LENGTH);
        }
        for (int i = 0; i < hashPart.length(); i++) {
            char c = hashPart.charAt(i);
            if (!NixBase32.isDigit(c)) {
                throw NixException.invalid("store path '%s' contains illegal base-32 character '%s'", shown, c);
            }
        }
        checkName(shown, name);
    }

    /** Checks {@code name} against Nix's rules for store path names; {@code shown} is used in errors. */
    public static void checkName(String shown, String name) {
        if (name.isEmpty()) {
            throw NixException.invalid("store path '%s' has an empty name", shown);
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw NixException.invalid("store path '%s' has a name longer than %d characters", shown, MAX_NAME_LENGTH);
        }
        if (name.charAt(0) == '.') {
            throw NixException.invalid("store path '%s' starts with illegal character '.'", shown);
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!isNameChar(c)) {
                throw NixException.invalid("store path '%s' contains illegal character '%s'", shown, c);
            }
        }
    }

    static boolean isNameChar(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                || c == '+' || c == '-' || c == '.' || c == '_' || c == '?' || c == '=';
    }

    /** Parses a full path {@code /nix/store/<hash>-<name>}. */
    public static StorePath parse(String path) {
        String prefix = STORE_DIR + "/";
        if (!path.startsWith(prefix)) {
            throw NixException.invalid("path '%s' is not in the Nix store %s", path, STORE_DIR);
        }
        return fromBaseName(path.substring(prefix.length()));
    }

    /** Parses a base name {@code <hash>-<name>} as found in a store directory or a narinfo. */
    public static StorePath fromBaseName(String baseName) {
        if (baseName.length() < HASH_LENGTH + 2 || baseName.charAt(HASH_LENGTH) != '-') {
            throw NixException.invalid("store path '%s' is not '<32-char hash>-<name>'", baseName);
        }
        return new StorePath(baseName.substring(0, HASH_LENGTH), baseName.substring(HASH_LENGTH + 1));
    }

    /** {@code <hash>-<name>}. */
    public String baseName() {
        return hashPart + "-" + name;
    }

    /** {@code /nix/store/<hash>-<name>}. */
    @Override
    public String toString() {
        return STORE_DIR + "/" + baseName();
    }

    @Override
    public int compareTo(StorePath o) {
        return baseName().compareTo(o.baseName());
    }
}
