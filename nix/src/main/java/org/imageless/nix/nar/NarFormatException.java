package org.imageless.nix.nar;

import org.imageless.nix.NixException;

/**
 * A NAR that breaks the format: its message names the problem and the byte offset in the NAR at
 * which the offending item starts, e.g. {@code NAR entry name '..' is not allowed (at byte offset 128)}.
 */
public final class NarFormatException extends NixException {

    private final long offset;

    public NarFormatException(String problem, long offset) {
        super(Kind.CORRUPT, problem + " (at byte offset " + offset + ")");
        this.offset = offset;
    }

    /** The byte offset in the NAR at which the offending item starts. */
    public long offset() {
        return offset;
    }
}
