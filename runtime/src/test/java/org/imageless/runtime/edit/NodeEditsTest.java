package org.imageless.runtime.edit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.imageless.nix.store.StorePath;
import org.imageless.runtime.spec.Mount;
import org.imageless.runtime.spec.ProcessSpec;
import org.imageless.runtime.spec.Spec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The edits that need the node (overlay for nix-mutable, command resolution), on in-memory specs. */
class NodeEditsTest {

    static final StorePath VIEW = StorePath.parse("/nix/store/2c9yyqhdgfdmxyfpfr6byxr0zc1ppz5z-flox-env");
    static final StorePath TOOL = StorePath.parse("/nix/store/1b8xxqgdgfdmxyfpfr6byxr0zc1ppz5z-echoip-1.0");

    @TempDir
    Path tmp;

    @Test
    void overlayForMutableBindsAPrivateStoreAndOverlaysEachDirectoryOnTheNodeStore() {
        Spec spec = Spec.parse(SpecEditsTest.CONFIG);
        Path dir = Path.of("/var/lib/flox/mutable/c1");
        new OverlayForMutable(dir, Path.of("/var/lib/flox/store"), new TreeSet<>(List.of(TOOL, VIEW))).apply(spec);

        List<Mount> mounts = spec.mounts();
        assertThat(mounts.get(1)).isEqualTo(new Mount("/nix/store", "bind", "/var/lib/flox/mutable/c1/store",
                List.of("rbind", "rw", "nosuid", "nodev")));
        assertThat(mounts.get(2)).isEqualTo(new Mount(TOOL.toString(), "overlay", "overlay", List.of(
                "lowerdir=/var/lib/flox/store/" + TOOL.baseName(),
                "upperdir=/var/lib/flox/mutable/c1/upper/" + TOOL.baseName(),
                "workdir=/var/lib/flox/mutable/c1/work/" + TOOL.baseName(), "nosuid", "nodev")));
        assertThat(mounts).hasSize(4);
    }

    @Test
    void overlayForMutableRefusesAContainerThatMountsItsOwnStore() {
        Spec spec = Spec.parse(SpecEditsTest.CONFIG.replace("\"mounts\":[", "\"mounts\":[{\"destination\":\"/nix/store\",\"type\":\"bind\",\"source\":\"/x\"},"));
        assertThatThrownBy(() -> new OverlayForMutable(tmp, tmp, new TreeSet<>()).apply(spec))
                .hasMessageContaining("already mounts /nix/store");
    }

    /** A node store with a view whose bin is a symlink into a package, as a one-package view is. */
    private Path store() throws IOException {
        Path store = Files.createDirectories(tmp.resolve("store"));
        Path bin = Files.createDirectories(store.resolve(TOOL.baseName()).resolve("bin"));
        Files.writeString(bin.resolve("echoip"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(bin.resolve("echoip"), PosixFilePermissions.fromString("r-xr-xr-x"));
        Files.createDirectories(store.resolve(VIEW.baseName()));
        Files.createSymbolicLink(store.resolve(VIEW.baseName()).resolve("bin"), Path.of(TOOL + "/bin"));
        return store;
    }

    private static ProcessSpec process(String... args) {
        StringBuilder a = new StringBuilder();
        for (String s : args) {
            a.append(a.isEmpty() ? "" : ",").append('"').append(s).append('"');
        }
        return Spec.parseProcess("{\"args\":[" + a + "],\"env\":[\"PATH=" + VIEW + "/bin:" + VIEW + "/sbin:/usr/bin:/bin\"]}");
    }

    @Test
    void aCommandInTheViewBecomesItsAbsolutePathThroughTheView() throws IOException {
        ProcessSpec p = process("echoip", "-l", ":8080");
        new ResolveCommand(store(), tmp.resolve("rootfs"), "acme/web:1", Map.of("echoip", List.of("echoip"))).apply(p);
        assertThat(p.args()).containsExactly(VIEW + "/bin/echoip", "-l", ":8080");
    }

    @Test
    void aCommandOfTheImageOrWithASlashIsLeftToRunc() throws IOException {
        Path rootfs = Files.createDirectories(tmp.resolve("rootfs/usr/bin"));
        Files.writeString(rootfs.resolve("nginx"), "elf");
        Path store = store();
        ProcessSpec p = process("nginx");
        new ResolveCommand(store, tmp.resolve("rootfs"), "acme/web:1", Map.of()).apply(p);
        assertThat(p.args()).containsExactly("nginx");
        ProcessSpec q = process("/opt/app/run");
        new ResolveCommand(store, tmp.resolve("rootfs"), "acme/web:1", Map.of()).apply(q);
        assertThat(q.args()).containsExactly("/opt/app/run");
    }

    @Test
    void aMissingCommandNamesTheEnvironmentAndWhatItsPackagesProvide() throws IOException {
        ResolveCommand edit = new ResolveCommand(store(), tmp.resolve("rootfs"), "acme/web:1",
                Map.of("echoip", List.of("echoip"), "docs", List.of()));
        assertThatThrownBy(() -> edit.apply(process("curl")))
                .hasMessage("command 'curl' is not in environment acme/web:1 (nor in the container's image): docs provides "
                        + "no commands; echoip provides echoip. Set the pod's 'command' to one of these, or install the "
                        + "package that provides 'curl' into the environment and push it");
        assertThatThrownBy(() -> edit.apply(process()))
                .hasMessageContaining("the container has no command").hasMessageContaining("set 'command' in the pod spec");
    }
}
