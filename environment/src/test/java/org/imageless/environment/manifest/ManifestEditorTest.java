package org.imageless.environment.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.imageless.environment.Resources;
import org.imageless.nix.NixException;
import org.junit.jupiter.api.Test;

class ManifestEditorTest {

    @Test
    void addsAnEntryAfterTheLastInstallLineKeepingCommentsAndFormatting() {
        String before = Resources.read(ManifestEditorTest.class, "template.toml");
        String after = ManifestEditor.addInstall(before, "manifest.toml", "hello", "hello");
        assertThat(after).isEqualTo(before.replace("coreutils.pkg-path = \"coreutils\"\n",
                "coreutils.pkg-path = \"coreutils\"\nhello.pkg-path = \"hello\"\n"));
        assertThat(Manifest.parse(after, "manifest.toml").install().keySet())
                .containsExactly("gh", "jq", "coreutils", "hello");
    }

    @Test
    void addsAfterAMultiLineInlineValue() {
        String before = "version = 1\n[install]\nhello = { pkg-path = \"hello\", systems = [\n  \"x86_64-linux\",\n] }\n\n[vars]\n";
        String after = ManifestEditor.addInstall(before, "manifest.toml", "jq", "jq");
        assertThat(after).isEqualTo("version = 1\n[install]\nhello = { pkg-path = \"hello\", systems = [\n  \"x86_64-linux\",\n] }\n"
                + "jq.pkg-path = \"jq\"\n\n[vars]\n");
    }

    @Test
    void createsTheInstallTableWhenThereIsNone() {
        String after = ManifestEditor.addInstall("version = 1\n", "manifest.toml", "hello", "hello");
        assertThat(after).isEqualTo("version = 1\n\n[install]\nhello.pkg-path = \"hello\"\n");
    }

    @Test
    void quotesInstallIdsThatAreNotBareKeys() {
        String after = ManifestEditor.addInstall("version = 1\n[install]\n", "manifest.toml", "python3.12", "python312");
        assertThat(after).isEqualTo("version = 1\n[install]\n\"python3.12\".pkg-path = \"python312\"\n");
        assertThat(Manifest.parse(after, "m").install()).containsKey("python3.12");
    }

    @Test
    void refusesToAddWhatIsAlreadyInstalled() {
        assertThatThrownBy(() -> ManifestEditor.addInstall("version = 1\n[install]\nhello.pkg-path = \"hello\"\n",
                "manifest.toml", "hello", "hello"))
                .hasMessageContaining("'hello' is already installed");
    }

    @Test
    void removesAllLinesOfAnEntryAndNothingElse() {
        String before = Resources.read(ManifestEditorTest.class, "template.toml");
        String after = ManifestEditor.removeInstall(before, "manifest.toml", "jq");
        assertThat(after).isEqualTo(before.replace("jq.pkg-path = \"jq\"\n", ""));
    }

    @Test
    void removesAnInstallSubTable() {
        String before = "version = 1\n[install]\nhello.pkg-path = \"hello\"\n\n[install.jq]\npkg-path = \"jq\"\nversion = \"^1\"\n[vars]\nA = \"1\"\n";
        String after = ManifestEditor.removeInstall(before, "manifest.toml", "jq");
        assertThat(after).isEqualTo("version = 1\n[install]\nhello.pkg-path = \"hello\"\n\n[vars]\nA = \"1\"\n");
    }

    @Test
    void addThenRemoveRoundTripsARealManifest() {
        String before = Resources.read(ManifestEditorTest.class, "jupyter.toml");
        String added = ManifestEditor.addInstall(before, "manifest.toml", "hello", "hello");
        assertThat(ManifestEditor.removeInstall(added, "manifest.toml", "hello")).isEqualTo(before);
    }

    @Test
    void removingWhatIsNotInstalledIsNotFound() {
        assertThatThrownBy(() -> ManifestEditor.removeInstall("version = 1\n", "manifest.toml", "hello"))
                .isInstanceOf(NixException.class)
                .extracting(e -> ((NixException) e).kind()).isEqualTo(NixException.Kind.NOT_FOUND);
    }
}
