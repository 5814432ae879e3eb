package org.imageless.runtime.testing;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.imageless.hub.testing.RunningHub;

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

    /** acme/web as the runtime tests push it: busybox and tools, {@code GREETING = "hello from vars"}. */
    public static final String WEB = RunningHub.manifest(List.of("busybox", "tools"), Map.of("GREETING", "hello from vars"), null);

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
        hub.upload(packages.nix, dir, alice, "", packages.busybox, packages.tools);
        hub.publishPackage("acme", "busybox", "1.36.0", Map.of(RuntimeFixture.SYSTEM, packages.busybox), alice);
        hub.publishPackage("acme", "tools", "1.0.0", Map.of(RuntimeFixture.SYSTEM, packages.tools), alice);
        hub.publishPackage("acme", "mactool", "1.0.0", Map.of("aarch64-darwin", packages.tools), alice);
    }

    /** The hub's data directory (its binary cache's files are under {@code cache/}). */
    public Path dataDir() {
        return dataDir;
    }

    /** What nodes put in hub_url. */
    public URI url() {
        return URI.create(hub.url());
    }

    /** The key nodes trust: the hub's. */
    public String publicKey() {
        return hub.publicKey();
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
