package org.imageless.node.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes a single-layer, single-platform (linux/amd64) container image as an OCI image-layout
 * archive (a tar of {@code oci-layout}, {@code index.json} and {@code blobs/sha256/…}), the format
 * {@code ctr images import} reads. No registry is involved: nodes import these archives into
 * containerd's {@code k8s.io} namespace.
 *
 * <p>The output is deterministic (fixed timestamps, sorted entries as added, gzip without a
 * time), so the same content always has the same image digest.
 */
public final class OciImageArchive {

    public static final String EMPTY_IMAGE = "flox/empty:1.0.0";

    static final String MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json";
    static final String CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json";
    static final String LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ImageReference reference;
    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private List<String> entrypoint = List.of();
    private List<String> cmd = List.of();

    private sealed interface Entry {
        String path();
    }

    private record Directory(String path) implements Entry {}

    private record RegularFile(String path, int mode, byte[] content) implements Entry {}

    private record Symlink(String path, String target) implements Entry {}

    private OciImageArchive(ImageReference reference) {
        this.reference = reference;
    }

    /** A new image named {@code reference} (normalised, e.g. {@code docker.io/flox/empty:1.0.0}). */
    public static OciImageArchive named(String reference) {
        return new OciImageArchive(ImageReference.parse(reference));
    }

    /** {@code flox/empty:1.0.0}: an image whose root file system is empty, as Flox's placeholder image. */
    public static OciImageArchive empty() {
        return named(EMPTY_IMAGE);
    }

    public ImageReference reference() {
        return reference;
    }

    public OciImageArchive directory(String path) {
        entries.add(new Directory(relative(path)));
        return this;
    }

    public OciImageArchive file(String path, int mode, byte[] content) {
        entries.add(new RegularFile(relative(path), mode, content.clone()));
        return this;
    }

    public OciImageArchive file(String path, int mode, Path source) {
        try {
            return file(path, mode, Files.readAllBytes(source));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + source + " for image " + reference, e);
        }
    }

    public OciImageArchive symlink(String path, String target) {
        entries.add(new Symlink(relative(path), target));
        return this;
    }

    /**
     * Adds everything under the directory {@code root} as the image's root file system:
     * directories, regular files (permission bits kept) and symbolic links (targets unchanged),
     * in name order so that the same tree always gives the same layer. Anything else (devices,
     * sockets, fifos) is an error naming the file.
     */
    public OciImageArchive tree(Path root) {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("image root " + root + " is not a directory");
        }
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted().toList()) {
                if (p.equals(root)) {
                    continue;
                }
                String path = "/" + root.relativize(p).toString();
                if (Files.isSymbolicLink(p)) {
                    symlink(path, Files.readSymbolicLink(p).toString());
                } else if (Files.isDirectory(p)) {
                    directory(path);
                } else if (Files.isRegularFile(p)) {
                    int mode = 0;
                    for (var perm : Files.getPosixFilePermissions(p)) {
                        mode |= 1 << (8 - perm.ordinal());
                    }
                    file(path, mode, p);
                } else {
                    throw new IllegalArgumentException("image root " + root + " holds " + p
                            + ", which is not a directory, regular file or symbolic link");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image root " + root, e);
        }
        return this;
    }

    public OciImageArchive entrypoint(List<String> entrypoint) {
        this.entrypoint = List.copyOf(entrypoint);
        return this;
    }

    public OciImageArchive cmd(List<String> cmd) {
        this.cmd = List.copyOf(cmd);
        return this;
    }

    public OciImageArchive env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** Writes the archive to {@code target} and returns the manifest's digest ({@code sha256:…}). */
    public String writeTo(Path target) {
        try (OutputStream out = Files.newOutputStream(target)) {
            return writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write image archive " + target, e);
        }
    }

    /** Writes the archive to {@code out} (not closed) and returns the manifest's digest. */
    public String writeTo(OutputStream out) throws IOException {
        byte[] layerTar = layerTar();
        byte[] layer = gzip(layerTar);
        byte[] config = configJson(sha256(layerTar));
        byte[] manifest = manifestJson(config, layer);
        String manifestDigest = sha256(manifest);

        ObjectNode descriptor = JSON.createObjectNode()
                .put("mediaType", MANIFEST_MEDIA_TYPE)
                .put("digest", manifestDigest)
                .put("size", manifest.length);
        ObjectNode annotations = descriptor.putObject("annotations");
        annotations.put("io.containerd.image.name", reference.name());
        annotations.put("org.opencontainers.image.ref.name", reference.name());
        descriptor.putObject("platform").put("architecture", "amd64").put("os", "linux");
        ObjectNode index = JSON.createObjectNode().put("schemaVersion", 2);
        index.put("mediaType", "application/vnd.oci.image.index.v1+json");
        index.putArray("manifests").add(descriptor);

        TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        putFile(tar, "oci-layout", 0644, "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
        putDirectory(tar, "blobs/");
        putDirectory(tar, "blobs/sha256/");
        putFile(tar, blob(sha256(layer)), 0644, layer);
        putFile(tar, blob(sha256(config)), 0644, config);
        putFile(tar, blob(manifestDigest), 0644, manifest);
        putFile(tar, "index.json", 0644, JSON.writeValueAsBytes(index));
        tar.finish();
        out.flush();
        return manifestDigest;
    }

    private byte[] layerTar() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        for (Entry entry : entries) {
            switch (entry) {
                case Directory d -> putDirectory(tar, d.path() + "/");
                case RegularFile f -> putFile(tar, f.path(), f.mode(), f.content());
                case Symlink s -> {
                    TarArchiveEntry e = new TarArchiveEntry(s.path(), TarArchiveEntry.LF_SYMLINK);
                    e.setLinkName(s.target());
                    e.setMode(0120777);
                    fixed(e);
                    tar.putArchiveEntry(e);
                    tar.closeArchiveEntry();
                }
            }
        }
        tar.finish();
        return bytes.toByteArray();
    }

    private byte[] configJson(String diffId) throws IOException {
        ObjectNode config = JSON.createObjectNode();
        config.put("created", "1970-01-01T00:00:00Z");
        config.put("architecture", "amd64");
        config.put("os", "linux");
        ObjectNode c = config.putObject("config");
        ArrayNode envs = c.putArray("Env");
        env.forEach((k, v) -> envs.add(k + "=" + v));
        if (!entrypoint.isEmpty()) {
            ArrayNode ep = c.putArray("Entrypoint");
            entrypoint.forEach(ep::add);
        }
        if (!cmd.isEmpty()) {
            ArrayNode cm = c.putArray("Cmd");
            cmd.forEach(cm::add);
        }
        ObjectNode rootfs = config.putObject("rootfs").put("type", "layers");
        rootfs.putArray("diff_ids").add(diffId);
        config.putArray("history").addObject().put("created", "1970-01-01T00:00:00Z")
                .put("created_by", "imageless flox-node (" + reference.name() + ")");
        return JSON.writeValueAsBytes(config);
    }

    private byte[] manifestJson(byte[] config, byte[] layer) throws IOException {
        ObjectNode manifest = JSON.createObjectNode().put("schemaVersion", 2);
        manifest.put("mediaType", MANIFEST_MEDIA_TYPE);
        manifest.putObject("config").put("mediaType", CONFIG_MEDIA_TYPE)
                .put("digest", sha256(config)).put("size", config.length);
        manifest.putArray("layers").addObject().put("mediaType", LAYER_MEDIA_TYPE)
                .put("digest", sha256(layer)).put("size", layer.length);
        return JSON.writeValueAsBytes(manifest);
    }

    private static String blob(String digest) {
        return "blobs/sha256/" + digest.substring("sha256:".length());
    }

    private static void putDirectory(TarArchiveOutputStream tar, String path) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(path, TarArchiveEntry.LF_DIR);
        e.setMode(040755);
        fixed(e);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private static void putFile(TarArchiveOutputStream tar, String path, int mode, byte[] content) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(path);
        e.setMode(0100000 | mode);
        e.setSize(content.length);
        fixed(e);
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    private static void fixed(TarArchiveEntry e) {
        e.setModTime(0);
        e.setIds(0, 0);
        e.setUserName("");
        e.setGroupName("");
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(data);
        }
        return bytes.toByteArray();
    }

    static String sha256(byte[] data) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String relative(String path) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        if (p.isEmpty() || p.endsWith("/") || List.of(p.split("/")).contains("..")) {
            throw new IllegalArgumentException("image entry path '" + path + "' must name a file below / without '..'");
        }
        return p;
    }
}
