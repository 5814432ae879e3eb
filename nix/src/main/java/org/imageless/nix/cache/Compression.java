package org.imageless.nix.cache;

import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.imageless.nix.NixException;
import org.tukaani.xz.XZInputStream;

/**
 * The compressions of NAR files in a binary cache that we can read, by the name a narinfo's
 * {@code Compression} field uses. Nix 2.8 can also write {@code br}, {@code lzip}, {@code lz4}
 * (and more, through libarchive); those are rejected with a clear error.
 */
public enum Compression {
    NONE("none", ".nar"),
    XZ("xz", ".nar.xz"),
    ZSTD("zstd", ".nar.zst"),
    BZIP2("bzip2", ".nar.bz2"),
    /** Nix names gzip-compressed NAR files {@code .nar} too (sic). */
    GZIP("gzip", ".nar");

    private final String nixName;
    private final String extension;

    Compression(String nixName, String extension) {
        this.nixName = nixName;
        this.extension = extension;
    }

    /** The name in narinfo files and in {@code ?compression=} of Nix store URIs. */
    public String nixName() {
        return nixName;
    }

    /** The file name extension Nix gives NAR files of this compression. */
    public String extension() {
        return extension;
    }

    /**
     * The compression a narinfo names.
     *
     * @throws NixException INVALID for a compression we cannot read (e.g. {@code br}), naming it
     */
    public static Compression parse(String name) {
        for (Compression c : values()) {
            if (c.nixName.equals(name)) {
                return c;
            }
        }
        throw NixException.invalid("compression '%s' is not supported, expected one of none, xz, zstd, bzip2, gzip",
                name);
    }

    /** Wraps {@code compressed} in a streaming decompressor; closing it closes {@code compressed}. */
    public InputStream decompress(InputStream compressed) throws IOException {
        InputStream in = new BufferedInputStream(compressed, 64 * 1024);
        return switch (this) {
            case NONE -> in;
            case XZ -> new XZInputStream(in);
            case ZSTD -> new ZstdInputStream(in);
            case BZIP2 -> new BZip2CompressorInputStream(in, true);
            case GZIP -> new GZIPInputStream(in, 64 * 1024);
        };
    }
}
