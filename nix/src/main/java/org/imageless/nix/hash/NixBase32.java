package org.imageless.nix.hash;

import org.imageless.nix.NixException;

/**
 * Nix's base-32: the alphabet without e, o, u, t, and the bytes read from the end, five bits at a
 * time, least significant first. This is not RFC 4648 base32.
 */
public final class NixBase32 {

    public static final String ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";

    private static final byte[] DIGIT = new byte[128];

    static {
        java.util.Arrays.fill(DIGIT, (byte) -1);
        for (int i = 0; i < ALPHABET.length(); i++) {
            DIGIT[ALPHABET.charAt(i)] = (byte) i;
        }
    }

    private NixBase32() {}

    /** Length of the encoding of {@code byteCount} bytes. */
    public static int encodedLength(int byteCount) {
        return byteCount == 0 ? 0 : (byteCount * 8 - 1) / 5 + 1;
    }

    public static String encode(byte[] bytes) {
        int len = encodedLength(bytes.length);
        StringBuilder out = new StringBuilder(len);
        for (int n = len - 1; n >= 0; n--) {
            int b = n * 5;
            int i = b / 8;
            int j = b % 8;
            int c = (bytes[i] & 0xff) >>> j;
            if (i + 1 < bytes.length) {
                c |= (bytes[i + 1] & 0xff) << (8 - j);
            }
            out.append(ALPHABET.charAt(c & 0x1f));
        }
        return out.toString();
    }

    /** True when {@code c} is a character of Nix's base-32 alphabet. */
    public static boolean isDigit(char c) {
        return c < 128 && DIGIT[c] >= 0;
    }

    /** Decodes {@code s} into exactly {@code byteCount} bytes. */
    public static byte[] decode(String s, int byteCount) {
        if (s.length() != encodedLength(byteCount)) {
            throw NixException.invalid("nix-base32 string '%s' has length %d, expected %d for %d bytes",
                    s, s.length(), encodedLength(byteCount), byteCount);
        }
        byte[] out = new byte[byteCount];
        int len = s.length();
        for (int n = 0; n < len; n++) {
            char ch = s.charAt(len - n - 1);
            if (!isDigit(ch)) {
                throw NixException.invalid("nix-base32 string '%s' contains illegal character '%s'", s, ch);
            }
            int digit = DIGIT[ch];
            int b = n * 5;
            int i = b / 8;
            int j = b % 8;
            out[i] |= (byte) (digit << j);
            int carry = digit >>> (8 - j);
            if (i + 1 < byteCount) {
                out[i + 1] |= (byte) carry;
            } else if (carry != 0) {
                throw NixException.invalid("nix-base32 string '%s' does not encode %d bytes (high bits set)",
                        s, byteCount);
            }
        }
        return out;
    }
}
