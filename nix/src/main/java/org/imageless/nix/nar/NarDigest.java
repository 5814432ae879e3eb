package org.imageless.nix.nar;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.hash.HashAlgorithm;

/** The SHA-256 and the length of a NAR, as narinfo's NarHash and NarSize. */
public record NarDigest(Hash narHash, long narSize) {

    /** Hashes the NAR of {@code path} as it is streamed; nothing is written anywhere. */
    public static NarDigest of(Path path) throws IOException {
        HashingSink sink = new HashingSink(HashAlgorithm.SHA256.newDigest());
        NarWriter.dump(path, sink);
        return sink.digest();
    }

    /** An output stream that only hashes and counts what is written to it. */
    static final class HashingSink extends OutputStream {
        private final MessageDigest md;
        private long count;

        HashingSink(MessageDigest md) {
            this.md = md;
        }

        @Override
        public void write(int b) {
            md.update((byte) b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            md.update(b, off, len);
            count += len;
        }

        NarDigest digest() {
            return new NarDigest(new Hash(HashAlgorithm.SHA256, md.digest()), count);
        }
    }
}
