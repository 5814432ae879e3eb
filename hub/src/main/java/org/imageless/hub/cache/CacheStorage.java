package org.imageless.hub.cache;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imageless.nix.NixException;
import org.imageless.nix.cache.Compression;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.hash.HashAlgorithm;
import org.imageless.nix.narinfo.NarInfo;
import org.imageless.nix.sign.SigningKey;
import org.imageless.nix.store.StorePath;

/**
 * The hub's binary cache on disk, write-once: NAR files and narinfo records under
 * {@code <data>/cache/}.
 *
 * <pre>
 * cache/nar/&lt;filehash&gt;.nar[.xz|.zst|.bz2]   NAR files named by the nix-base32 SHA-256 of the file (as Nix names them)
 * cache/narinfo/&lt;hashpart&gt;.narinfo         accepted narinfo records, signed by the hub key
 * cache/incoming/&lt;filehash&gt;.nar…            uploaded NAR files whose FileHash was checked, not yet claimed by a narinfo
 * cache/tmp/                                uploads in progress (emptied on open)
 * </pre>
 *
 * <p>What is served is decided by {@code narinfo/} alone: a NAR file is served only when an accepted
 * narinfo names it. An upload streams into {@code tmp/}, is hashed while it is written and moved into
 * {@code incoming/} by an atomic rename only when its SHA-256 equals the hash in its name. A narinfo
 * is accepted only after its NAR file is found, its FileHash and FileSize match, the decompressed NAR
 * matches NarHash and NarSize (hashed while streaming) and every reference is already in the cache;
 * then the NAR is renamed into {@code nar/} and the re-signed narinfo is linked into
 * {@code narinfo/} (link fails if the name exists: the first writer wins, a second identical upload
 * is a no-op). A process killed at any point leaves at most files in {@code tmp/} or
 * {@code incoming/} or an unclaimed file in {@code nar/}, none of which is ever served.
 *
 * <p>All accepted narinfo records are held in memory (their parsed form and their served bytes), so
 * lookups never touch the disk; NAR bodies are read from disk. Because a narinfo is accepted only
 * when its references are present, the closure of a visible path never changes afterwards.
 */
public final class CacheStorage {

    /** {@code <52 nix-base32 chars>.nar} plus the extension of a compression Nix writes. */
    private static final Pattern NAR_FILE = Pattern.compile("([0-9a-df-np-sv-z]{52})(\\.nar(?:\\.xz|\\.zst|\\.bz2)?)");
    private static final Pattern HASH_PART = Pattern.compile("[0-9a-df-np-sv-z]{32}");
    static final int MAX_NARINFO_BYTES = 1 << 20;
    private static final int BUFFER = 256 * 1024;

    private final Path root;
    private final Path narDir;
    private final Path narInfoDir;
    private final Path incomingDir;
    private final Path tmpDir;
    private final SigningKey signingKey;
    private final Map<String, Entry> narInfos = new ConcurrentHashMap<>();
    private final Map<String, Set<StorePath>> pathsByNarFile = new ConcurrentHashMap<>();
    private final Object publishLock = new Object();

    /** An accepted narinfo: its parsed form and the exact bytes served. */
    public record Entry(NarInfo info, byte[] text) {}

    private CacheStorage(Path root, SigningKey signingKey) {
        this.root = root;
        this.narDir = root.resolve("nar");
        this.narInfoDir = root.resolve("narinfo");
        this.incomingDir = root.resolve("incoming");
        this.tmpDir = root.resolve("tmp");
        this.signingKey = signingKey;
    }

    /**
     * Opens (creating if needed) the cache under {@code <dataDir>/cache}, loads every accepted narinfo
     * into memory and removes uploads that were in progress when the process last stopped.
     *
     * @param signingKey the hub's key; every accepted narinfo is signed with it
     */
    public static CacheStorage open(Path dataDir, SigningKey signingKey) {
        CacheStorage s = new CacheStorage(dataDir.resolve("cache"), signingKey);
        try {
            for (Path d : List.of(s.narDir, s.narInfoDir, s.incomingDir, s.tmpDir)) {
                Files.createDirectories(d);
            }
            try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(s.tmpDir)) {
                for (Path p : leftovers) {
                    Files.deleteIfExists(p);
                }
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(s.narInfoDir, "*.narinfo")) {
                for (Path p : files) {
                    byte[] text = Files.readAllBytes(p);
                    s.index(new Entry(NarInfo.parse(new String(text, StandardCharsets.UTF_8)), text));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open binary cache in " + s.root, e);
        }
        return s;
    }

    public Path root() {
        return root;
    }

    public SigningKey signingKey() {
        return signingKey;
    }

    /** The accepted narinfo of the store path with this hash part, if any. */
    public Optional<Entry> narInfo(String hashPart) {
        return Optional.ofNullable(narInfos.get(hashPart));
    }

    public boolean contains(StorePath path) {
        Entry e = narInfos.get(path.hashPart());
        return e != null && e.info().storePath().equals(path);
    }

    /** The number of accepted store paths. */
    public int size() {
        return narInfos.size();
    }

    /**
     * The store paths whose accepted narinfo names {@code nar/<fileName>}; empty when none does (then
     * the file is not served, even if it is on disk).
     */
    public Set<StorePath> pathsOfNarFile(String fileName) {
        return pathsByNarFile.getOrDefault(fileName, Set.of());
    }

    /** The file of {@code nar/<fileName>} if an accepted narinfo names it. */
    public Optional<Path> narFile(String fileName) {
        if (!pathsByNarFile.containsKey(fileName)) {
            return Optional.empty();
        }
        return Optional.of(narDir.resolve(fileName));
    }

    /**
     * Whether NAR file {@code fileName} is on disk, claimed by a narinfo or only uploaded so far (for
     * uploaders' HEAD).
     */
    public boolean hasNarFile(String fileName) {
        return NAR_FILE.matcher(fileName).matches()
                && (Files.isRegularFile(narDir.resolve(fileName)) || Files.isRegularFile(incomingDir.resolve(fileName)));
    }

    /**
     * The closure of {@code roots} over the accepted narinfo references: the roots present in the
     * cache and everything they reference, transitively. Roots absent from the cache are left out.
     */
    public Set<StorePath> closureOf(Collection<StorePath> roots) {
        Set<StorePath> seen = new HashSet<>();
        Deque<StorePath> todo = new ArrayDeque<>(roots);
        while (!todo.isEmpty()) {
            StorePath p = todo.pop();
            if (!seen.contains(p) && contains(p)) {
                seen.add(p);
                todo.addAll(narInfos.get(p.hashPart()).info().references());
            }
        }
        return seen;
    }

    /**
     * Stores an uploaded NAR file ({@code PUT nar/<fileName>}): streamed to a temporary file while its
     * SHA-256 is computed, then renamed into {@code incoming/} only if the hash equals the one in its
     * name. A file already in the cache is not written again, but its body is hashed all the same (the
     * uploader proves that it holds these bytes, see {@code CacheAccess.proved}).
     *
     * @throws NixException INVALID for a name that is not {@code <nix-base32 sha256>.nar[.xz|.zst|.bz2]},
     *     CORRUPT when the body's hash differs from its name
     * @throws IOException when the body breaks off or the disk fails; nothing is kept then
     */
    public void putNar(String fileName, InputStream body) throws IOException {
        Matcher m = NAR_FILE.matcher(fileName);
        if (!m.matches()) {
            throw NixException.invalid("NAR file name '%s' is not '<nix-base32 sha256>.nar[.xz|.zst|.bz2]'", fileName);
        }
        Hash expected = Hash.parseDigest(HashAlgorithm.SHA256, m.group(1));
        if (Files.exists(narDir.resolve(fileName))) {
            checkFileHash(fileName, copyHashing(body, OutputStream.nullOutputStream()), expected);
            return;
        }
        Path tmp = tmpDir.resolve(UUID.randomUUID() + ".upload");
        try {
            Hash actual;
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                actual = copyHashing(body, Channels.newOutputStream(out));
                out.force(true);
            }
            checkFileHash(fileName, actual, expected);
            // identical content under an identical name: replacing a concurrent upload's file is harmless
            Files.move(tmp, incomingDir.resolve(fileName), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Copies {@code in} to {@code out}; the SHA-256 of what was copied. */
    private static Hash copyHashing(InputStream in, OutputStream out) throws IOException {
        MessageDigest md = HashAlgorithm.SHA256.newDigest();
        byte[] buf = new byte[BUFFER];
        for (int n; (n = in.read(buf)) >= 0; ) {
            md.update(buf, 0, n);
            out.write(buf, 0, n);
        }
        return new Hash(HashAlgorithm.SHA256, md.digest());
    }

    private static void checkFileHash(String fileName, Hash actual, Hash expected) {
        if (!actual.equals(expected)) {
            throw NixException.corrupt("NAR file nar/%s has SHA-256 %s, expected %s from its name",
                    fileName, actual.toBase32(), expected.toBase32());
        }
    }

    /**
     * An accepted narinfo upload: the record now served, and whether the NAR file the upload names holds
     * this path's NAR (checked now, or when the path was first accepted with that file).
     */
    public record Accepted(Entry entry, boolean holdsNar) {}

    /**
     * Accepts an uploaded narinfo ({@code PUT <hashPart>.narinfo}) after checking it against its NAR
     * file and the cache, signs it with the hub key and makes it and its NAR visible. Uploading a path
     * that is already in the cache with the same NarHash is a no-op that returns the stored record; the
     * NAR file it names is then still checked, for {@link Accepted#holdsNar}.
     *
     * @return the record now served
     * @throws NixException INVALID or CORRUPT naming the store path and the rule it broke (the caller
     *     answers 400); nothing became visible then
     */
    public Accepted putNarInfo(String hashPart, InputStream body) throws IOException {
        if (!HASH_PART.matcher(hashPart).matches()) {
            throw NixException.invalid("narinfo name '%s.narinfo' is not '<32 nix-base32 characters>.narinfo'", hashPart);
        }
        byte[] bytes = body.readNBytes(MAX_NARINFO_BYTES + 1);
        if (bytes.length > MAX_NARINFO_BYTES) {
            throw NixException.invalid("narinfo %s.narinfo is larger than %d bytes", hashPart, MAX_NARINFO_BYTES);
        }
        NarInfo info = NarInfo.parse(new String(bytes, StandardCharsets.UTF_8));
        StorePath path = info.storePath();
        if (!path.hashPart().equals(hashPart)) {
            throw NixException.invalid("narinfo uploaded as %s.narinfo is for %s", hashPart, path);
        }
        Entry existing = narInfos.get(hashPart);
        if (existing != null) {
            Entry served = sameOrConflict(existing, info);
            return new Accepted(served, holdsNar(served, info));
        }
        String fileName = narFileName(info);
        try {
            verifyNar(info, locateNar(fileName, path));
        } catch (NoSuchFileException e) {
            // a concurrent upload of the same path published the file (incoming/ to nar/) after it was located
            try {
                verifyNar(info, locateNar(fileName, path));
            } catch (NoSuchFileException again) {
                throw notUploaded(path, fileName);
            }
        }
        List<StorePath> missing = info.references().stream()
                .filter(r -> !r.equals(path) && !contains(r))
                .toList();
        if (!missing.isEmpty()) {
            throw NixException.invalid("cannot accept %s: its references %s are not in the cache; upload them first",
                    path, missing);
        }
        NarInfo signed = signingKey.addSignature(info);
        byte[] text = signed.format().getBytes(StandardCharsets.UTF_8);
        // the file was verified above (a concurrent upload may have published its own record first)
        return new Accepted(publish(new Entry(signed, text), fileName), true);
    }

    /** The NAR file a narinfo names, once its URL was checked ({@code nar/<file>}: accepted, or {@link Accepted#holdsNar}). */
    static String narFileOf(NarInfo info) {
        return info.url().substring("nar/".length());
    }

    /**
     * Whether the NAR file that {@code upload} (a narinfo of a path already in the cache as {@code served},
     * with the same NarHash) names holds that NAR: the served record's own file, or one uploaded that
     * checks out against the NarHash.
     */
    private boolean holdsNar(Entry served, NarInfo upload) throws IOException {
        if (upload.url().equals(served.info().url())) {
            return true;
        }
        try {
            verifyNar(upload, locateNar(narFileName(upload), upload.storePath()));
            return true;
        } catch (NixException | NoSuchFileException e) {
            return false;
        }
    }

    private static Entry sameOrConflict(Entry existing, NarInfo info) {
        if (existing.info().narHash().equals(info.narHash()) && existing.info().narSize() == info.narSize()) {
            return existing;
        }
        throw NixException.invalid("%s is already in the cache with NarHash %s; the upload has %s and is refused "
                + "(cache entries are write-once)", info.storePath(), existing.info().narHash().toBase32(),
                info.narHash().toBase32());
    }

    private static String narFileName(NarInfo info) {
        StorePath path = info.storePath();
        String url = info.url();
        if (!url.startsWith("nar/")) {
            throw NixException.invalid("narinfo of %s has URL '%s', expected 'nar/<file>'", path, url);
        }
        String fileName = url.substring("nar/".length());
        Matcher m = NAR_FILE.matcher(fileName);
        if (!m.matches()) {
            throw NixException.invalid("narinfo of %s has URL '%s', expected 'nar/<nix-base32 sha256>.nar[.xz|.zst|.bz2]'",
                    path, url);
        }
        Compression compression = Compression.parse(info.compression());
        if (!compression.extension().equals(m.group(2))) {
            throw NixException.invalid("narinfo of %s has Compression %s but URL '%s' (expected extension %s)",
                    path, info.compression(), url, compression.extension());
        }
        Hash nameHash = Hash.parseDigest(HashAlgorithm.SHA256, m.group(1));
        if (info.fileHash().isEmpty()) {
            throw NixException.invalid("narinfo of %s has no FileHash", path);
        }
        if (!info.fileHash().get().equals(nameHash)) {
            throw NixException.invalid("narinfo of %s has FileHash %s but its URL '%s' names %s", path,
                    info.fileHash().get().toBase32(), url, nameHash.toBase32());
        }
        return fileName;
    }

    private Path locateNar(String fileName, StorePath path) {
        // incoming/ first: a file only ever moves from incoming/ to nar/, so one a concurrent publish moves
        // after the first look is found by the second
        Path uploaded = incomingDir.resolve(fileName);
        if (Files.isRegularFile(uploaded)) {
            return uploaded;
        }
        Path inCache = narDir.resolve(fileName);
        if (Files.isRegularFile(inCache)) {
            return inCache;
        }
        throw notUploaded(path, fileName);
    }

    private static NixException notUploaded(StorePath path, String fileName) {
        return NixException.invalid("narinfo of %s names nar/%s, which was not uploaded; upload the NAR file first",
                path, fileName);
    }

    /**
     * FileSize, then NarHash and NarSize of the decompressed stream; the file's FileHash was checked on upload.
     *
     * @throws NoSuchFileException {@code nar} is gone (published from incoming/ to nar/ since it was located)
     */
    private static void verifyNar(NarInfo info, Path nar) throws IOException {
        StorePath path = info.storePath();
        MessageDigest md = HashAlgorithm.SHA256.newDigest();
        long narSize = 0;
        try (FileChannel ch = FileChannel.open(nar, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize != info.fileSize()) {
                throw NixException.invalid("narinfo of %s has FileSize %d but nar/%s has %d bytes", path,
                        info.fileSize(), nar.getFileName(), fileSize);
            }
            Compression compression = Compression.parse(info.compression());
            try (InputStream in = compression.decompress(Channels.newInputStream(ch))) {
                byte[] buf = new byte[BUFFER];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    md.update(buf, 0, n);
                    narSize += n;
                }
            } catch (IOException e) {
                throw NixException.corrupt("NAR of %s in nar/%s cannot be decompressed as %s: %s", path,
                        nar.getFileName(), info.compression(), e.getMessage());
            }
        }
        Hash actual = new Hash(HashAlgorithm.SHA256, md.digest());
        if (!actual.equals(info.narHash()) || narSize != info.narSize()) {
            throw NixException.corrupt("NAR of %s does not match its narinfo: NarHash %s NarSize %d expected, "
                    + "the uploaded NAR has NarHash %s NarSize %d", path, info.narHash().toBase32(), info.narSize(),
                    actual.toBase32(), narSize);
        }
    }

    private Entry publish(Entry entry, String fileName) throws IOException {
        synchronized (publishLock) {
            Entry existing = narInfos.get(entry.info().storePath().hashPart());
            if (existing != null) {
                return sameOrConflict(existing, entry.info());
            }
            Path nar = narDir.resolve(fileName);
            if (!Files.exists(nar)) {
                forceDirectory(incomingDir);
                Files.move(incomingDir.resolve(fileName), nar, StandardCopyOption.ATOMIC_MOVE);
                forceDirectory(narDir);
            } else {
                Files.deleteIfExists(incomingDir.resolve(fileName));
            }
            Path tmp = tmpDir.resolve(UUID.randomUUID() + ".narinfo");
            Path target = narInfoDir.resolve(NarInfo.fileName(entry.info().storePath()));
            try {
                try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    Channels.newOutputStream(out).write(entry.text());
                    out.force(true);
                }
                Files.createLink(target, tmp); // fails if the name exists: write-once
                forceDirectory(narInfoDir);
            } catch (FileAlreadyExistsException e) {
                Entry onDisk = new Entry(NarInfo.parse(Files.readString(target)), Files.readAllBytes(target));
                index(onDisk);
                return sameOrConflict(onDisk, entry.info());
            } finally {
                Files.deleteIfExists(tmp);
            }
            index(entry);
            return entry;
        }
    }

    private void index(Entry entry) {
        NarInfo info = entry.info();
        pathsByNarFile.computeIfAbsent(narFileOf(info), k -> ConcurrentHashMap.newKeySet())
                .add(info.storePath());
        narInfos.put(info.storePath().hashPart(), entry);
    }

    /** Makes renames in {@code dir} durable (they survive a power loss, not just a killed process). */
    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // some file systems cannot sync directories; the rename itself is still atomic
        }
    }

    /** Everything accepted, for tests and maintenance. */
    List<StorePath> paths() {
        List<StorePath> all = new ArrayList<>();
        narInfos.values().forEach(e -> all.add(e.info().storePath()));
        return all;
    }
}
