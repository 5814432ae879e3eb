package org.imageless.nix.nar;

import java.nio.charset.StandardCharsets;

/** Constants of the NAR format shared by the writer and the reader. */
final class Nar {

    static final String MAGIC = "nix-archive-1";

    /** Longest entry name accepted (Linux NAME_MAX). */
    static final int MAX_NAME = 255;
    /** Longest symlink target accepted (Linux PATH_MAX less the NUL). */
    static final int MAX_TARGET = 4095;
    /** Longest structural token ("nix-archive-1" is the longest, 13 bytes). */
    static final int MAX_TOKEN = 16;
    /** Deepest directory nesting accepted; deeper trees cannot be addressed by path on Linux anyway. */
    static final int MAX_DEPTH = 2048;

    private Nar() {}

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Zero bytes needed after {@code length} bytes to reach a multiple of 8. */
    static int padding(long length) {
        return (int) (-length & 7);
    }
}
