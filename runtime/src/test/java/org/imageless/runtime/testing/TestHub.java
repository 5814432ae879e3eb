package org.imageless.runtime.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.imageless.hub.testing.RunningHub;
import org.imageless.nix.testing.RealNix;

/**
 * The real hub ({@link RunningHub}) with the runtime fixture's packages in it, as a user would set
 * it up; nodes use its own URL (contract C1's {@code GET /api/v1/environments/{o}/{n}/generations/{n|live}},
 * its binary cache at {@code /cache} and activation reports at {@code PUT /api/v1/events}).
 *
 * <p>Set-up: user {@code alice} owns org {@code acme}; real {@code nix copy} uploads the packages to the
 * hub's cache (which re-signs them with the hub's key); they are published in the catalog as
 * {@code acme/busybox}, {@code acme/tools} (x86_64-linux) and {@code acme/mactool} (aarch64-darwin
 * only); environments are pushed over git with locks the hub's catalog resolved.
 */
public final class TestHub implements AutoCloseable {

    public final RunningHub hub;
    public final String alice;
    private final Path dataDir;
    private final RuntimeFixture packages;

    public TestHub(Path dir, RuntimeFixture packages) {
        this.packages = packages;
        dataDir = dir.resolve("hub");
        hub = RunningHub.start(dataDir);
        alice = hub.createUser("alice");
        hub.createOrg("acme", "alice");
        upload(dir, packages.busybox, packages.tools);
        hub.publishPackage("acme", "busybox", "1.36.0", Map.of(RuntimeFixture.SYSTEM, packages.busybox), alice);
        hub.publishPackage("acme", "tools", "1.0.0", Map.of(RuntimeFixture.SYSTEM, packages.tools), alice);
        hub.publishPackage("acme", "mactool", "1.0.0", Map.of("aarch64-darwin", packages.tools), alice);
    }

    /** The hub's data directory (its binary cache's files are under {@code cache/}). */
    public Path dataDir() {
        return dataDir;
    }

    private void upload(Path dir, String... paths) {
        try {
            Path netrc = Files.writeString(dir.resolve("netrc"), "machine 127.0.0.1\nlogin alice\npassword " + alice + "\n");
            List<String> cmd = new ArrayList<>(List.of("nix", "copy", "--store", packages.nix.storeUri(), "--to", hub.url() + "/cache"));
            cmd.addAll(List.of(paths));
            RealNix.Result r = packages.nix.tryRun(cmd, null, Map.of("NIX_CONFIG", RealNix.NIX_CONFIG + "\nnetrc-file = " + netrc));
            if (r.exitCode() != 0) {
                throw new AssertionError("nix copy to the hub failed: " + r.stderr());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What nodes put in hub_url. */
    public URI url() {
        return URI.create(hub.url());
    }

    /** The key nodes trust: the hub's. */
    public String publicKey() {
        return hub.publicKey();
    }

    /**
     * A manifest installing catalog packages {@code pkgs} (install id = pkg-path) for x86_64-linux
     * (or {@code systems}), with {@code [vars]} and an optional hook.
     */
    public static String manifest(List<String> pkgs, Map<String, String> vars, String hook, String... systems) {
        StringBuilder t = new StringBuilder("version = 1\n\n[install]\n");
        pkgs.forEach(p -> t.append(p).append(".pkg-path = \"").append(p).append("\"\n"));
        t.append("\n[vars]\n");
        vars.forEach((k, v) -> t.append(k).append(" = \"").append(v).append("\"\n"));
        if (hook != null) {
            t.append("\n[hook]\non-activate = '''\n").append(hook).append("\n'''\n");
        }
        t.append("\n[options]\nsystems = [");
        List<String> s = systems.length == 0 ? List.of(RuntimeFixture.SYSTEM) : List.of(systems);
        for (int i = 0; i < s.size(); i++) {
            t.append(i == 0 ? "" : ", ").append('"').append(s.get(i)).append('"');
        }
        return t.append("]\n").toString();
    }

    /** Pushes the next generation of {@code acme/name} (locked by the hub's catalog) as alice; returns its number. */
    public int push(String name, String manifestToml) {
        String lock = hub.lockFor("acme", manifestToml, alice);
        return hub.pushGeneration("acme", name, manifestToml, lock, alice);
    }

    /** Makes {@code acme/name} private on the hub (who may read it is then the hub's decision). */
    public void makePrivate(String name) {
        hub.setVisibility("acme", name, "private", alice);
    }

    @Override
    public void close() {
        hub.close();
    }
}
