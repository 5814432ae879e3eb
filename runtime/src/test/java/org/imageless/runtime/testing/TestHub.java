package org.imageless.runtime.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.imageless.hub.auth.Authentication;
import org.imageless.hub.auth.Principal;
import org.imageless.hub.auth.Visibility;
import org.imageless.hub.testing.RunningHub;
import org.imageless.nix.testing.RealNix;

/**
 * The real hub ({@link RunningHub}) with the runtime fixture's packages in it, as a user would set
 * it up, behind a {@link HubStandIn} for the one endpoint the hub does not serve yet
 * ({@code GET /api/v1/environments/{o}/{n}/generations/{n|live}}, contract C1): the stand-in answers
 * it with the generations pushed here, asks the real hub's authenticator and access policy who may
 * read, and forwards {@code /cache} and activation reports to the real hub. When the hub serves C1, {@link #url()} becomes
 * the hub's own URL.
 *
 * <p>Set-up: user {@code alice} owns org {@code acme}; real {@code nix copy} uploads the packages to the
 * hub's cache (which re-signs them with the hub's key); they are published in the catalog as
 * {@code acme/busybox}, {@code acme/tools} (x86_64-linux) and {@code acme/mactool} (aarch64-darwin
 * only); environments are pushed over git with locks the hub's catalog resolved.
 */
public final class TestHub implements AutoCloseable {

    public final RunningHub hub;
    public final String alice;
    private final RuntimeFixture packages;
    private final HubStandIn api;

    public TestHub(Path dir, RuntimeFixture packages) {
        this.packages = packages;
        hub = RunningHub.start(dir.resolve("hub"));
        alice = hub.createUser("alice");
        hub.createOrg("acme", "alice");
        upload(dir, packages.busybox, packages.tools);
        hub.publishPackage("acme", "busybox", "1.36.0", Map.of(RuntimeFixture.SYSTEM, packages.busybox), alice);
        hub.publishPackage("acme", "tools", "1.0.0", Map.of(RuntimeFixture.SYSTEM, packages.tools), alice);
        hub.publishPackage("acme", "mactool", "1.0.0", Map.of("aarch64-darwin", packages.tools), alice);
        try {
            api = new HubStandIn(dir.resolve("no-cache-dir"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        api.forwardTo(URI.create(hub.url()));
        api.authorizer(this::authorize);
    }

    /** The real hub's decision on reading an environment of {@code owner}, with its own messages. */
    private java.util.Optional<HubStandIn.Denial> authorize(String authorization, String owner, boolean isPrivate) {
        Principal principal = Principal.ANONYMOUS;
        if (authorization != null) {
            Authentication a = hub.hub().authenticator().authenticate(authorization);
            if (a instanceof Authentication.Failed f) {
                return java.util.Optional.of(new HubStandIn.Denial(isPrivate ? 401 : 299,
                        isPrivate ? f.message() : "the token was ignored: " + f.message()));
            }
            principal = ((Authentication.Authenticated) a).principal();
        }
        if (!isPrivate || hub.hub().access().canRead(principal, owner, Visibility.PRIVATE)) {
            return java.util.Optional.empty();
        }
        try {
            hub.hub().access().checkRead(principal, owner, Visibility.PRIVATE);
            return java.util.Optional.empty();
        } catch (org.imageless.hub.HubException e) {
            return java.util.Optional.of(new HubStandIn.Denial(principal instanceof Principal.Anonymous ? 401 : 403, e.getMessage()));
        }
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
        return api.url();
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
        int n = hub.pushGeneration("acme", name, manifestToml, lock, alice);
        int served = api.push("acme", name, lock);
        if (served != n) {
            throw new IllegalStateException("the stand-in numbers generations differently: " + served + " vs " + n);
        }
        return n;
    }

    /** Makes {@code acme/name} private on the hub (who may read it is then the hub's decision). */
    public void makePrivate(String name) {
        hub.setVisibility("acme", name, "private", alice);
        api.makePrivate("acme", name, "decided-by-the-hub");
    }

    @Override
    public void close() {
        api.close();
        hub.close();
    }
}
