package org.imageless.environment.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.imageless.environment.EnvironmentFormatException;
import org.imageless.environment.Resources;
import org.junit.jupiter.api.Test;

class ManifestTest {

    private static EnvironmentFormatException error(String toml) {
        try {
            Manifest.parse(toml, "manifest.toml");
        } catch (EnvironmentFormatException e) {
            return e;
        }
        throw new AssertionError("expected an error for:\n" + toml);
    }

    @Test
    void readsFloxsOwnJupyterManifest() {
        Manifest m = Manifest.parse(Resources.read(ManifestTest.class, "jupyter.toml"), "manifest.toml");
        assertThat(m.version()).isEqualTo(ManifestVersion.V1);
        assertThat(m.install()).hasSize(9).containsKey("ollama");
        assertThat(m.install().get("pandas"))
                .isEqualTo(new InstallEntry.Catalog("python311Packages.pandas", null, null, null, null, null));
        assertThat(m.vars()).containsEntry("virtualEnv", "./nb-venv/");
        assertThat(m.hook().onActivate()).contains("alias nb=");
        assertThat(m.hasActivationHook()).isTrue();
        assertThat(m.options().systems()).containsExactly("x86_64-linux", "aarch64-darwin", "aarch64-linux", "x86_64-darwin");
    }

    @Test
    void readsTheInitTemplateWithEmptyTables() {
        Manifest m = Manifest.parse(Resources.read(ManifestTest.class, "template.toml"), "manifest.toml");
        assertThat(m.install().keySet()).containsExactly("gh", "jq", "coreutils");
        assertThat(m.vars()).isEmpty();
        assertThat(m.hasActivationHook()).isFalse();
        assertThat(m.systems()).isEqualTo(Manifest.KNOWN_SYSTEMS);
    }

    @Test
    void readsSchemaVersionManifestsWithAllDescriptorKinds() {
        Manifest m = Manifest.parse("""
                schema-version = "1.10.0"

                [install]
                hello.pkg-path = "hello"
                hello.version = "^2.12"
                hello.outputs = "all"
                python = { pkg-path = "python312", pkg-group = "py", priority = 3, systems = ["x86_64-linux"], outputs = ["out", "man"] }
                ripgrep.flake = "github:BurntSushi/ripgrep"
                tool.store-path = "/nix/store/0370cakz5b3yf6dlr2r75ybxsrjpp5k3-gh-2.96.0"

                [profile]
                bash = "alias ll='ls -l'"

                [options]
                activate.mode = "run"
                allow.unfree = true
                semver.allow-pre-releases = false
                cuda-detection = false

                [services.web]
                command = "python3 -m http.server"
                """, "manifest.toml");
        assertThat(m.version().schemaVersion()).isEqualTo("1.10.0");
        assertThat(m.install().get("hello")).isEqualTo(
                new InstallEntry.Catalog("hello", "^2.12", null, null, null, InstallEntry.Outputs.allOutputs()));
        InstallEntry.Catalog python = (InstallEntry.Catalog) m.install().get("python");
        assertThat(python.group()).isEqualTo("py");
        assertThat(python.priority()).isEqualTo(3L);
        assertThat(python.outputs().names()).containsExactly("out", "man");
        assertThat(m.install().get("ripgrep")).isInstanceOf(InstallEntry.Flake.class);
        assertThat(m.install().get("tool")).isInstanceOf(InstallEntry.StorePathEntry.class);
        assertThat(m.profile().bash()).isEqualTo("alias ll='ls -l'");
        assertThat(m.options().activateMode()).isEqualTo("run");
        assertThat(m.options().allowUnfree()).isTrue();
        assertThat(m.services().has("web")).isTrue();
    }

    @Test
    void rejectsAnUnknownTopLevelKeyNamingFileLineAndKey() {
        EnvironmentFormatException e = error("""
                version = 1

                [install]
                hello.pkg-path = "hello"

                [instal]
                jq.pkg-path = "jq"
                """);
        assertThat(e.line()).isEqualTo(6);
        assertThat(e.key()).isEqualTo("instal");
        assertThat(e).hasMessageStartingWith("manifest.toml:6: 'instal': unknown key at the top level");
    }

    @Test
    void rejectsAnUnknownKeyInAnInstallEntryOnItsLine() {
        EnvironmentFormatException e = error("""
                version = 1
                # a comment
                [install]
                hello.pkg-path = "hello"
                hello.pkg_group = "x"
                """);
        assertThat(e.line()).isEqualTo(5);
        assertThat(e.key()).isEqualTo("install.hello.pkg_group");
    }

    @Test
    void countsLinesPastMultiLineStrings() {
        EnvironmentFormatException e = error("""
                version = 1
                [hook]
                on-activate = '''
                  [install]
                  x = 1
                '''
                [profile]
                common = "echo hi"
                ksh = "echo no"
                """);
        assertThat(e.line()).isEqualTo(9);
        assertThat(e.key()).isEqualTo("profile.ksh");
    }

    @Test
    void rejectsVersionTwo() {
        EnvironmentFormatException e = error("\n\nversion = 2\n");
        assertThat(e.line()).isEqualTo(3);
        assertThat(e).hasMessageContaining("'version': version 2 is not supported");
    }

    @Test
    void rejectsAnUnsupportedSchemaVersion() {
        assertThat(error("schema-version = \"2.0.0\"\n")).hasMessageContaining("'schema-version'");
    }

    @Test
    void rejectsANonStringPkgPath() {
        EnvironmentFormatException e = error("version = 1\n[install]\nhello.pkg-path = 3\n");
        assertThat(e.line()).isEqualTo(3);
        assertThat(e.key()).isEqualTo("install.hello.pkg-path");
        assertThat(e).hasMessageContaining("expected a string, got the number 3");
    }

    @Test
    void rejectsABadSemverConstraint() {
        EnvironmentFormatException e = error("version = 1\n[install]\nhello.pkg-path = \"hello\"\nhello.version = \"^^1.2\"\n");
        assertThat(e.line()).isEqualTo(4);
        assertThat(e.key()).isEqualTo("install.hello.version");
        assertThat(e).hasMessageContaining("not a semver range");
    }

    @Test
    void acceptsSemverRangesAndExactVersions() {
        for (String v : List.of("1.2.3", "^1.2", "~1.2.3", ">=1.0 <2.0", "1.x", "*", "1.2 - 1.4", "=2023-01-01",
                "^1.0.0-rc.1", ">= 1.2.3 || < 0.5")) {
            assertThat(VersionConstraint.problem(v)).as(v).isNull();
        }
    }

    @Test
    void rejectsAnUnknownSystem() {
        EnvironmentFormatException e = error("version = 1\n[options]\nsystems = [\"x86_64-linux\", \"riscv64-linux\"]\n");
        assertThat(e.line()).isEqualTo(3);
        assertThat(e.key()).isEqualTo("options.systems");
        assertThat(e).hasMessageContaining("unknown system 'riscv64-linux'");
    }

    @Test
    void rejectsOutputsInAVersionOneManifest() {
        EnvironmentFormatException e = error("version = 1\n[install]\nhello.pkg-path = \"hello\"\nhello.outputs = \"all\"\n");
        assertThat(e.key()).isEqualTo("install.hello.outputs");
    }

    @Test
    void rejectsAnInstallEntryOfNoKnownKind() {
        EnvironmentFormatException e = error("version = 1\n[install]\n\nhello.path = \"hello\"\n");
        assertThat(e.line()).isEqualTo(4);
        assertThat(e).hasMessageContaining("no 'pkg-path', 'flake' or 'store-path'");
    }

    @Test
    void reportsTomlSyntaxErrorsWithTheirLine() {
        EnvironmentFormatException e = error("version = 1\n[install]\nhello.pkg-path = \"hello\n");
        assertThat(e.file()).isEqualTo("manifest.toml");
        assertThat(e.line()).isEqualTo(3);
    }

    @Test
    void rejectsAPackageSystemNotEnabledInOptions() {
        EnvironmentFormatException e = error("""
                version = 1
                [install]
                hello.pkg-path = "hello"
                hello.systems = ["aarch64-darwin"]
                [options]
                systems = ["x86_64-linux"]
                """);
        assertThat(e.line()).isEqualTo(4);
        assertThat(e).hasMessageContaining("not enabled in options.systems");
    }
}
