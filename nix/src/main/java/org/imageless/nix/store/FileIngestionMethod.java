package org.imageless.nix.store;

/** How a file system object is hashed into a content address: its NAR, or its flat contents. */
public enum FileIngestionMethod {
    /** The hash covers the file's bytes; the path must be a regular file. */
    FLAT,
    /** The hash covers the NAR serialisation (what {@code nix-store --add} does). */
    RECURSIVE
}
