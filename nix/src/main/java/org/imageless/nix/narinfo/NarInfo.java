package org.imageless.nix.narinfo;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.imageless.nix.NixException;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.hash.HashAlgorithm;
import org.imageless.nix.store.StorePath;

/**
 * The record a Nix binary cache serves per store path ({@code <hash>.narinfo}), parsed and printed
 * exactly as Nix 2.x does ({@code libstore/nar-info.cc}).
 *
 * <p>Like Nix, {@code references} and {@code sigs} are sets: the constructor sorts them and drops
 * duplicates, so {@link #format()} prints them in Nix's order. {@code fileHash} is empty when the
 * cache did not say ({@code FileHash} is optional in Nix); {@code fileSize} is 0 then too, as in
 * Nix. {@code ca} is kept in Nix's canonical rendering ({@code text:sha256:<base32>},
 * {@code fixed:[r:]<algo>:<base32>}). {@code system} is Nix's rarely written {@code System} field.
 *
 * @param url where the (compressed) NAR is, relative to the cache's base URI
 * @param compression as written by Nix: {@code none}, {@code xz}, {@code zstd}, {@code bzip2}, …
 */
public record NarInfo(
        StorePath storePath,
        String url,
        String compression,
        Optional<Hash> fileHash,
        long fileSize,
        Hash narHash,
        long narSize,
        List<StorePath> references,
        Optional<StorePath> deriver,
        Optional<String> system,
        List<String> sigs,
        Optional<String> ca) {

    /** Nix's placeholder for "no deriver" in narinfo files. */
    static final String UNKNOWN_DERIVER = "unknown-deriver";

    public NarInfo {
        Objects.requireNonNull(storePath, "storePath");
        Objects.requireNonNull(narHash, "narHash");
        checkValue("URL", url);
        if (url.isEmpty()) {
            throw NixException.invalid("narinfo of %s has an empty URL", storePath);
        }
        checkValue("Compression", compression);
        if (compression.isEmpty()) {
            throw NixException.invalid("narinfo of %s has an empty Compression", storePath);
        }
        fileHash.ifPresent(h -> checkSha256("FileHash", h));
        checkSha256("NarHash", narHash);
        if (fileSize < 0) {
            throw NixException.invalid("narinfo of %s has negative FileSize %d", storePath, fileSize);
        }
        if (narSize <= 0) {
            throw NixException.invalid("narinfo of %s has NarSize %d, expected a positive size", storePath, narSize);
        }
        references = List.copyOf(new TreeSet<>(references));
        system.ifPresent(s -> checkValue("System", s));
        TreeSet<String> sortedSigs = new TreeSet<>();
        for (String sig : sigs) {
            checkValue("Sig", sig);
            if (sig.isEmpty()) {
                throw NixException.invalid("narinfo of %s has an empty signature", storePath);
            }
            sortedSigs.add(sig);
        }
        sigs = List.copyOf(sortedSigs);
        ca = ca.map(ContentAddress::canonical);
    }

    private static void checkValue(String key, String value) {
        Objects.requireNonNull(value, key);
        if (value.indexOf('\n') >= 0) {
            throw NixException.invalid("narinfo %s '%s' contains a newline", key, value);
        }
    }

    private static void checkSha256(String key, Hash hash) {
        if (hash.algorithm() != HashAlgorithm.SHA256) {
            throw NixException.invalid("narinfo %s '%s' is %s, expected sha256", key, hash.toBase32(),
                    hash.algorithm().nixName());
        }
    }

    /**
     * Parses narinfo text as Nix does: {@code Key: value} lines, each ending in a newline; unknown
     * keys are ignored (as Nix ignores them); {@code Compression} defaults to {@code bzip2};
     * {@code Deriver: unknown-deriver} means none; {@code CA:} with an empty value means none.
     * Stricter than Nix where Nix would silently accept garbage: a line without {@code ": "}, a
     * repeated single-valued key, or a malformed value is rejected.
     *
     * @throws NixException CORRUPT naming the line number, the key and the value
     */
    public static NarInfo parse(String text) {
        StorePath storePath = null;
        String url = null;
        String compression = null;
        Hash fileHash = null;
        long fileSize = 0;
        Hash narHash = null;
        Long narSize = null;
        List<StorePath> references = List.of();
        StorePath deriver = null;
        String system = null;
        List<String> sigs = new ArrayList<>();
        String ca = null;
        Set<String> seen = new HashSet<>();

        int pos = 0;
        int line = 0;
        while (pos < text.length()) {
            line++;
            int eol = text.indexOf('\n', pos);
            if (eol < 0) {
                throw corrupt(line, "does not end with a newline");
            }
            String l = text.substring(pos, eol);
            pos = eol + 1;
            int sep = l.indexOf(": ");
            if (sep <= 0) {
                throw corrupt(line, "'%s' is not 'Key: value'", l);
            }
            String key = l.substring(0, sep);
            String value = l.substring(sep + 2);
            boolean singleValued = switch (key) {
                case "StorePath", "URL", "Compression", "FileHash", "FileSize", "NarHash", "NarSize",
                     "References", "Deriver", "System", "CA" -> true;
                default -> false;
            };
            if (singleValued && !seen.add(key)) {
                throw corrupt(line, "key %s appears more than once", key);
            }
            try {
                switch (key) {
                    case "StorePath" -> storePath = StorePath.parse(value);
                    case "URL" -> url = value;
                    case "Compression" -> compression = value;
                    case "FileHash" -> fileHash = parseSha256(value);
                    case "FileSize" -> fileSize = parseSize(value);
                    case "NarHash" -> narHash = parseSha256(value);
                    case "NarSize" -> narSize = parseSize(value);
                    case "References" -> references = parseReferences(value);
                    case "Deriver" -> deriver = value.equals(UNKNOWN_DERIVER) ? null : StorePath.fromBaseName(value);
                    case "System" -> system = value;
                    case "Sig" -> {
                        if (value.isEmpty()) {
                            throw NixException.invalid("empty signature");
                        }
                        sigs.add(value);
                    }
                    case "CA" -> ca = value.isEmpty() ? null : ContentAddress.canonical(value);
                    default -> {
                        // Nix ignores keys it does not know; so do we
                    }
                }
            } catch (NixException e) {
                throw corrupt(line, "%s '%s': %s", key, value, e.getMessage());
            }
        }
        if (storePath == null) {
            throw missing("StorePath");
        }
        if (narHash == null) {
            throw missing("NarHash");
        }
        if (url == null || url.isEmpty()) {
            throw missing("URL");
        }
        if (narSize == null || narSize == 0) {
            throw NixException.corrupt("narinfo of %s is corrupt: NarSize is missing or 0", storePath);
        }
        if (compression == null || compression.isEmpty()) {
            compression = "bzip2"; // Nix's default for old caches
        }
        return new NarInfo(storePath, url, compression, Optional.ofNullable(fileHash), fileSize, narHash, narSize,
                references, Optional.ofNullable(deriver), Optional.ofNullable(system), sigs, Optional.ofNullable(ca));
    }

    private static NixException corrupt(int line, String format, Object... args) {
        return NixException.corrupt("narinfo is corrupt: line %d: %s", line, format.formatted(args));
    }

    private static NixException missing(String key) {
        return NixException.corrupt("narinfo is corrupt: required key %s is missing", key);
    }

    private static Hash parseSha256(String value) {
        Hash h = Hash.parse(value);
        checkSha256("hash", h);
        return h;
    }

    private static long parseSize(String value) {
        if (value.isEmpty() || value.length() > 18 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw NixException.invalid("not a size: expected 1 to 18 decimal digits");
        }
        return Long.parseLong(value);
    }

    private static List<StorePath> parseReferences(String value) {
        List<StorePath> refs = new ArrayList<>();
        for (String token : value.split(" ")) {
            if (!token.isEmpty()) { // Nix tokenizes on spaces: runs of spaces are one separator
                refs.add(StorePath.fromBaseName(token));
            }
        }
        return refs;
    }

    /** The text Nix writes for this narinfo, byte for byte. */
    public String format() {
        StringBuilder b = new StringBuilder();
        b.append("StorePath: ").append(storePath).append('\n');
        b.append("URL: ").append(url).append('\n');
        b.append("Compression: ").append(compression).append('\n');
        fileHash.ifPresent(h -> b.append("FileHash: ").append(h.toBase32()).append('\n'));
        if (fileHash.isPresent() || fileSize != 0) {
            b.append("FileSize: ").append(fileSize).append('\n');
        }
        b.append("NarHash: ").append(narHash.toBase32()).append('\n');
        b.append("NarSize: ").append(narSize).append('\n');
        b.append("References: ")
                .append(references.stream().map(StorePath::baseName).collect(Collectors.joining(" ")))
                .append('\n');
        deriver.ifPresent(d -> b.append("Deriver: ").append(d.baseName()).append('\n'));
        system.ifPresent(s -> b.append("System: ").append(s).append('\n'));
        for (String sig : sigs) {
            b.append("Sig: ").append(sig).append('\n');
        }
        ca.ifPresent(c -> b.append("CA: ").append(c).append('\n'));
        return b.toString();
    }

    /**
     * What a signature signs: {@code 1;<storePath>;<narHash sha256:base32>;<narSize>;<references as
     * full paths, comma-joined>}, exactly as Nix's {@code ValidPathInfo::fingerprint}.
     */
    public String fingerprint() {
        return "1;" + storePath + ";" + narHash.toBase32() + ";" + narSize + ";"
                + references.stream().map(StorePath::toString).collect(Collectors.joining(","));
    }

    /** This narinfo with {@code sig} added to its signatures (a no-op if it is already there). */
    public NarInfo withSignature(String sig) {
        List<String> all = new ArrayList<>(sigs);
        all.add(sig);
        return withSignatures(all);
    }

    /** This narinfo with exactly these signatures. */
    public NarInfo withSignatures(List<String> newSigs) {
        return new NarInfo(storePath, url, compression, fileHash, fileSize, narHash, narSize, references, deriver,
                system, newSigs, ca);
    }

    /** The file name a cache serves this narinfo under: {@code <hash part>.narinfo}. */
    public static String fileName(StorePath path) {
        return path.hashPart() + ".narinfo";
    }
}
