package org.imageless.runtime.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.imageless.nix.testing.RealNix;

/**
 * Packages built by real nix for the runtime's tests, signed by a nix-generated key and copied by
 * {@code nix copy} into a {@code file://} binary cache: {@code busybox} (busybox-static with applet
 * links, and a bin/bash that runs busybox's sh, so hooks can run) and {@code tools} (one more
 * command, to show merging and the packages named in errors).
 */
public final class RuntimeFixture {

    public static final String SYSTEM = "x86_64-linux";
    private static final ObjectMapper JSON = new ObjectMapper();

    public final RealNix nix;
    public final RealNix.KeyPair key;
    public final String busybox;
    public final String tools;
    public final Path cache;

    public RuntimeFixture(Path dir) {
        nix = RealNix.in(dir);
        if (!Files.isExecutable(Path.of("/bin/busybox"))) {
            throw new AssertionError("busybox-static is required (/bin/busybox); 'make test' installs it (scripts/install-deps.sh)");
        }
        busybox = nix.build("""
                derivation {
                  name = "busybox"; system = "x86_64-linux"; builder = "/bin/sh";
                  args = [ "-c" ''
                    /bin/busybox mkdir -p $out/bin
                    /bin/busybox cp /bin/busybox $out/bin/busybox
                    for a in sh ls cat echo env printenv touch sleep id mkdir test readlink pwd; do
                      /bin/busybox ln -s busybox $out/bin/$a
                    done
                    printf '#!%s/bin/sh\\nexec %s/bin/sh "$@"\\n' $out $out > $out/bin/bash
                    /bin/busybox chmod +x $out/bin/bash
                  '' ];
                }
                """);
        tools = nix.build("""
                derivation {
                  name = "tools"; system = "x86_64-linux"; builder = "/bin/sh";
                  args = [ "-c" ''
                    /bin/busybox mkdir -p $out/bin $out/share/tools
                    printf '#!%s/bin/sh\\necho tools-hello\\n' ${builtins.storePath "@BUSYBOX@"} > $out/bin/tools-hello
                    /bin/busybox chmod +x $out/bin/tools-hello
                    echo doc > $out/share/tools/README
                  '' ];
                }
                """.replace("@BUSYBOX@", busybox));
        try {
            key = nix.generateKey("hub-test-1", Files.createDirectories(dir.resolve("keys")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        nix.sign(key.secretFile(), busybox, tools);
        cache = dir.resolve("cache");
        nix.copyTo("file://" + cache + "?compression=zstd", busybox, tools);
    }

    /** A manifest.lock installing {@code storePaths} (store-path packages) with vars and an optional hook. */
    public static String lock(Map<String, String> storePaths, Map<String, String> vars, String hook) {
        ObjectNode root = JSON.createObjectNode();
        root.put("lockfile-version", 1);
        ObjectNode manifest = root.putObject("manifest");
        manifest.put("version", 1);
        ObjectNode install = manifest.putObject("install");
        storePaths.forEach((id, path) -> install.putObject(id).put("store-path", path));
        ObjectNode v = manifest.putObject("vars");
        vars.forEach(v::put);
        if (hook != null) {
            manifest.putObject("hook").put("on-activate", hook);
        }
        var packages = root.putArray("packages");
        storePaths.forEach((id, path) -> packages.addObject().put("install_id", id).put("store_path", path)
                .put("system", SYSTEM).put("priority", 5));
        return root.toString();
    }

    /** node.toml for a node whose store and state are under {@code dir}, trusting this fixture's key. */
    public Path nodeConfig(Path dir, java.net.URI hub, String extra) {
        return nodeConfig(dir, hub, key.publicKey(), extra);
    }

    /** node.toml for a node whose store and state are under {@code dir}, trusting {@code trustedKey}. */
    public static Path nodeConfig(Path dir, java.net.URI hub, String trustedKey, String extra) {
        try {
            Files.createDirectories(dir);
            return Files.writeString(dir.resolve("node.toml"), """
                    hub_url = "%s"
                    trusted_keys = ["%s"]
                    store_dir = "%s"
                    state_dir = "%s"
                    node_name = "node-test"
                    %s
                    """.formatted(hub, trustedKey, dir.resolve("state/store"), dir.resolve("state"), extra));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
