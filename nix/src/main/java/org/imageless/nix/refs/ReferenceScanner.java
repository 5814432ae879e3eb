package org.imageless.nix.refs;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import org.imageless.nix.NixException;
import org.imageless.nix.hash.NixBase32;
import org.imageless.nix.store.StorePath;

/**
 * Finds which of a set of store path hash parts occur in a byte stream, the way Nix's
 * {@code RefScanSink} does: look at every run of 32 nix-base32 characters and check it against the
 * candidates. Like Nix it skips ahead by up to 32 bytes whenever a non-base32 byte is seen, so
 * typical binary data costs one table look-up per 32 bytes. The last 31 bytes of each write are
 * kept so that a hash split across writes is still found.
 */
public final class ReferenceScanner extends OutputStream {

    private static final int LEN = StorePath.HASH_LENGTH;
    private static final boolean[] BASE32 = new boolean[256];

    static {
        for (char c : NixBase32.ALPHABET.toCharArray()) {
            BASE32[c] = true;
        }
    }

    private final Set<String> remaining;
    private final Set<String> found = new HashSet<>();
    /** The last up to 31 bytes written, then room for the first 31 bytes of the next write. */
    private final byte[] seam = new byte[2 * (LEN - 1)];
    private int tail;

    /** A scanner for {@code hashParts}: 32-character nix-base32 hash parts of store paths. */
    public ReferenceScanner(Collection<String> hashParts) {
        this.remaining = new HashSet<>();
        for (String h : hashParts) {
            if (h.length() != LEN || !h.chars().allMatch(c -> c < 256 && BASE32[c])) {
                throw NixException.invalid("'%s' is not a store path hash part (32 nix-base32 characters)", h);
            }
            remaining.add(h);
        }
    }

    /** The candidates seen so far. */
    public Set<String> found() {
        return Set.copyOf(found);
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b) {
        write(b, 0, b.length);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0 || remaining.isEmpty()) {
            return;
        }
        // hashes that start in the kept tail and end in this write
        int head = Math.min(len, LEN - 1);
        if (tail > 0) {
            System.arraycopy(b, off, seam, tail, head);
            scan(seam, 0, tail + head);
        }
        scan(b, off, off + len);
        // keep the last 31 bytes of the stream so far
        if (len >= LEN - 1) {
            System.arraycopy(b, off + len - (LEN - 1), seam, 0, LEN - 1);
            tail = LEN - 1;
        } else {
            int keep = Math.min(tail, LEN - 1 - len);
            System.arraycopy(seam, tail - keep, seam, 0, keep);
            System.arraycopy(b, off, seam, keep, len);
            tail = keep + len;
        }
    }

    /**
     * Nix's {@code search}: checks each 32-byte window from its last byte back and skips past a
     * miss; inside a long base-32 run only the byte entering the window is checked.
     */
    private void scan(byte[] s, int from, int to) {
        int i = from;
        boolean window = false;
        next:
        while (i + LEN <= to) {
            if (!window) {
                for (int j = LEN - 1; j >= 0; j--) {
                    if (!BASE32[s[i + j] & 0xff]) {
                        i += j + 1;
                        continue next;
                    }
                }
            }
            String candidate = new String(s, i, LEN, StandardCharsets.ISO_8859_1);
            if (remaining.remove(candidate)) {
                found.add(candidate);
                if (remaining.isEmpty()) {
                    return;
                }
            }
            i++;
            if (i + LEN <= to) {
                window = BASE32[s[i + LEN - 1] & 0xff];
                if (!window) {
                    i += LEN;
                }
            }
        }
    }
}
