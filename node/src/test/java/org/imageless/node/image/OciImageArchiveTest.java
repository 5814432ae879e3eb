package org.imageless.node.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OciImageArchiveTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shortNamesNormaliseAsTheCriPluginDoes() {
        assertThat(ImageReference.parse("flox/empty:1.0.0").name()).isEqualTo("docker.io/flox/empty:1.0.0");
        assertThat(ImageReference.parse("busybox").name()).isEqualTo("docker.io/library/busybox:latest");
        assertThat(ImageReference.parse("docker.io/flox/empty:1.0.0").name()).isEqualTo("docker.io/flox/empty:1.0.0");
        assertThat(ImageReference.parse("localhost:5000/a/b").name()).isEqualTo("localhost:5000/a/b:latest");
        assertThat(ImageReference.parse("ghcr.io/o/i@sha256:abc").name()).isEqualTo("ghcr.io/o/i@sha256:abc");
        assertThatThrownBy(() -> ImageReference.parse(" ")).hasMessageContaining("empty");
    }

    @Test
    void floxEmptyIsAnOciLayoutWhoseBlobsMatchTheirDigests() throws IOException {
        Map<String, byte[]> files = entries(OciImageArchive.empty());
        assertThat(files.keySet()).contains("oci-layout", "index.json");
        assertThat(new String(files.get("oci-layout"))).isEqualTo("{\"imageLayoutVersion\":\"1.0.0\"}");
        JsonNode index = JSON.readTree(files.get("index.json"));
        JsonNode descriptor = index.at("/manifests/0");
        assertThat(descriptor.at("/mediaType").asText()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
        assertThat(descriptor.at("/annotations/org.opencontainers.image.ref.name").asText()).isEqualTo("docker.io/flox/empty:1.0.0");

        byte[] manifestBytes = blob(files, descriptor.at("/digest").asText());
        assertThat(manifestBytes).hasSize(descriptor.at("/size").asInt());
        JsonNode manifest = JSON.readTree(manifestBytes);
        byte[] config = blob(files, manifest.at("/config/digest").asText());
        assertThat(config).hasSize(manifest.at("/config/size").asInt());
        assertThat(manifest.at("/layers/0/mediaType").asText()).isEqualTo("application/vnd.oci.image.layer.v1.tar+gzip");
        byte[] layer = blob(files, manifest.at("/layers/0/digest").asText());
        byte[] layerTar = new GZIPInputStream(new ByteArrayInputStream(layer)).readAllBytes();
        JsonNode configJson = JSON.readTree(config);
        assertThat(configJson.at("/rootfs/diff_ids/0").asText()).isEqualTo(OciImageArchive.sha256(layerTar));
        assertThat(configJson.at("/architecture").asText()).isEqualTo("amd64");
        assertThat(configJson.at("/os").asText()).isEqualTo("linux");
        assertThat(new TarArchiveInputStream(new ByteArrayInputStream(layerTar)).getNextEntry()).as("an empty root").isNull();
    }

    @Test
    void theSameContentAlwaysGivesTheSameManifestDigest() throws IOException {
        assertThat(OciImageArchive.empty().writeTo(new ByteArrayOutputStream()))
                .isEqualTo(OciImageArchive.empty().writeTo(new ByteArrayOutputStream()));
    }

    @Test
    void filesSymlinksAndTheCommandGoIntoTheLayerAndConfig() throws IOException {
        OciImageArchive image = OciImageArchive.named("example/tool:2").directory("/bin")
                .file("/bin/tool", 0755, "#!/bin/sh\n".getBytes()).symlink("/usr/bin/t", "/bin/tool")
                .env("PATH", "/bin").cmd(List.of("tool"));
        Map<String, byte[]> files = entries(image);
        JsonNode manifest = JSON.readTree(blob(files, JSON.readTree(files.get("index.json")).at("/manifests/0/digest").asText()));
        JsonNode config = JSON.readTree(blob(files, manifest.at("/config/digest").asText()));
        assertThat(config.at("/config/Cmd/0").asText()).isEqualTo("tool");
        assertThat(config.at("/config/Env/0").asText()).isEqualTo("PATH=/bin");
        byte[] layer = blob(files, manifest.at("/layers/0/digest").asText());
        Map<String, TarArchiveEntry> layerEntries = new LinkedHashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(new ByteArrayInputStream(layer)))) {
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                layerEntries.put(e.getName(), e);
            }
        }
        assertThat(layerEntries).containsOnlyKeys("bin/", "bin/tool", "usr/bin/t");
        assertThat(layerEntries.get("bin/tool").getMode() & 0777).isEqualTo(0755);
        assertThat(layerEntries.get("usr/bin/t").getLinkName()).isEqualTo("/bin/tool");
        assertThatThrownBy(() -> image.file("../x", 0644, new byte[0])).hasMessageContaining("'..'");
    }

    @Test
    void aDirectoryTreeBecomesTheLayerWithModesAndLinksKeptInNameOrder(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("usr/bin"));
        Files.writeString(root.resolve("pause"), "binary");
        Files.setPosixFilePermissions(root.resolve("pause"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.writeString(root.resolve("usr/bin/data"), "data");
        Files.setPosixFilePermissions(root.resolve("usr/bin/data"), PosixFilePermissions.fromString("rw-r--r--"));
        Files.createSymbolicLink(root.resolve("usr/bin/p"), Path.of("/pause"));

        OciImageArchive image = OciImageArchive.named("example/pause:1").tree(root).entrypoint(List.of("/pause"));
        Map<String, byte[]> files = entries(image);
        JsonNode manifest = JSON.readTree(blob(files, JSON.readTree(files.get("index.json")).at("/manifests/0/digest").asText()));
        assertThat(JSON.readTree(blob(files, manifest.at("/config/digest").asText())).at("/config/Entrypoint/0").asText()).isEqualTo("/pause");
        byte[] layer = blob(files, manifest.at("/layers/0/digest").asText());
        Map<String, TarArchiveEntry> layerEntries = new LinkedHashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(new ByteArrayInputStream(layer)))) {
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                layerEntries.put(e.getName(), e);
            }
        }
        assertThat(layerEntries.keySet()).containsExactly("pause", "usr/", "usr/bin/", "usr/bin/data", "usr/bin/p");
        assertThat(layerEntries.get("pause").getMode() & 0777).isEqualTo(0750);
        assertThat(layerEntries.get("usr/bin/data").getMode() & 0777).isEqualTo(0644);
        assertThat(layerEntries.get("usr/bin/p").getLinkName()).isEqualTo("/pause");
        assertThat(OciImageArchive.named("example/pause:1").tree(root).entrypoint(List.of("/pause")).writeTo(new ByteArrayOutputStream()))
                .as("the same tree, the same digest").isEqualTo(image.writeTo(new ByteArrayOutputStream()));
        assertThatThrownBy(() -> OciImageArchive.named("x").tree(root.resolve("pause"))).hasMessageContaining("is not a directory");
    }

    private static byte[] blob(Map<String, byte[]> files, String digest) {
        byte[] blob = files.get("blobs/sha256/" + digest.substring("sha256:".length()));
        assertThat(blob).as("blob %s", digest).isNotNull();
        assertThat(OciImageArchive.sha256(blob)).isEqualTo(digest);
        return blob;
    }

    private static Map<String, byte[]> entries(OciImageArchive image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        image.writeTo(out);
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(out.toByteArray()))) {
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                if (!e.isDirectory()) {
                    files.put(e.getName(), tar.readAllBytes());
                }
            }
        }
        return files;
    }
}
