package org.imageless.environment;

import org.imageless.nix.NixException;

/**
 * A manifest, lock or generations metadata file that breaks Flox's schema. Always of kind
 * {@link NixException.Kind#INVALID}; carries where the problem is ({@link #file()}, {@link #line()},
 * {@link #key()}) so a CLI can point at it and the hub can report it on push. The message starts with
 * {@code <file>:<line>:} and names the key.
 */
public final class EnvironmentFormatException extends NixException {

    private final String file;
    private final int line;
    private final String key;

    public EnvironmentFormatException(String file, int line, String key, String problem) {
        super(Kind.INVALID, "%s:%d: %s%s".formatted(file, line,
                key == null || key.isEmpty() ? "" : "'" + key + "': ", problem));
        this.file = file;
        this.line = line;
        this.key = key;
    }

    /** The file name as given by the caller (for example {@code manifest.toml}). */
    public String file() {
        return file;
    }

    /** 1-based line of the offending key or value. */
    public int line() {
        return line;
    }

    /** The dotted key (TOML) or path (JSON) of the offending value; empty for the document itself. */
    public String key() {
        return key;
    }
}
