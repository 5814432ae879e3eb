package org.imageless.cli.activate;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SequencedSet;
import org.imageless.cli.Config;
import org.imageless.cli.Session;
import org.imageless.environment.lock.Lockfile;
import org.imageless.environment.view.EnvironmentView;
import org.imageless.nix.NixException;
import org.imageless.nix.NixException.Kind;
import org.imageless.nix.cache.BinaryCacheClient;
import org.imageless.nix.cache.ProgressBar;
import org.imageless.nix.nodestore.NodeStore;
import org.imageless.nix.store.StorePath;

/**
 * What activation needs besides the plan: the user's store, the closure realised into it from the
 * hub's cache, the environment view, and a way to run a process that sees the store at
 * {@code /nix/store}.
 *
 * <p>Store: {@code $FLOX_STORE_DIR} if set; else for root the node store ({@code /var/lib/flox/store},
 * shared with the node runtime), for other users {@code $FLOX_DATA_DIR/store}. Unless that directory
 * is {@code /nix/store} itself, processes run in a user namespace made by bubblewrap
 * ({@code bwrap --dev-bind / / --bind STORE /nix/store}), which needs no privileges.
 */
public final class Activation {

    public static final Path NODE_STORE = Path.of("/var/lib/flox/store");

    private Activation() {
    }

    public static NodeStore store(Session session) {
        Config c = session.config();
        String override = session.env().get("FLOX_STORE_DIR");
        Path dir;
        if (override != null && !override.isBlank()) {
            dir = Path.of(override);
        } else if (isRoot()) {
            dir = NODE_STORE;
        } else {
            dir = c.dataDir().resolve("store");
        }
        return NodeStore.open(dir);
    }

    static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /** Realises what the view of {@code lock} needs; contacts the hub only when something is missing. */
    public static void realise(Session session, NodeStore store, Lockfile lock, String system) {
        SequencedSet<StorePath> roots = lock.storePathsToInstall(system);
        if (roots.stream().allMatch(store::isValid)) {
            return;
        }
        Config c = session.config();
        BinaryCacheClient.Builder b = BinaryCacheClient.builder(URI.create(c.hubUrl() + "/cache")).trustedKeys(HubKeys.trusted(session));
        if (c.token() != null) {
            b.token(c.token());
        }
        try (ProgressBar progress = ProgressBar.onTerminal("flox");
             BinaryCacheClient cache = b.listener(progress).build()) {
            store.realise(cache, roots);
        } catch (NixException e) {
            if (e.kind() == Kind.NOT_FOUND) {
                throw new NixException(Kind.NOT_FOUND, e.getMessage() + "; the package's publisher must upload it to "
                        + c.hubUrl() + "/cache (flox publish does)", e);
            }
            if (e.kind() == Kind.CORRUPT && String.valueOf(e.getMessage()).contains("trusted")) {
                throw new NixException(Kind.CORRUPT, e.getMessage() + "; " + HubKeys.untrustedFix(session), e);
            }
            if (e.kind() == Kind.UNAVAILABLE && String.valueOf(e.getMessage()).contains("onnect")) {
                throw new NixException(Kind.UNAVAILABLE, "cannot fetch the environment's packages from " + c.hubUrl()
                        + "/cache: " + e.getMessage() + "; check that the hub is running (floxhub_url in flox.toml)", e);
            }
            throw e;
        }
    }

    /**
     * The environment view of {@code lock}, built once per set of installed outputs and remembered
     * under {@code $FLOX_CACHE_DIR/views/} (the runtime's code, as nodes remember theirs), so that
     * activating again costs a file read.
     */
    public static StorePath view(Session session, NodeStore store, Lockfile lock, String system) {
        return EnvironmentView.buildRemembered(store, lock, system, session.config().cacheDir().resolve("views"));
    }

    /** {@code argv} wrapped so that it sees {@code store} at {@code /nix/store}. */
    public static List<String> sandboxed(NodeStore store, Path cwd, List<String> argv) {
        Path storeDir = store.dir();
        if (storeDir.equals(Path.of(StorePath.STORE_DIR))) {
            return argv;
        }
        String bwrap = findOnPath("bwrap");
        if (bwrap == null) {
            throw new NixException(Kind.NOT_FOUND, "bubblewrap (bwrap) is needed to show the store " + storeDir
                    + " at /nix/store without root, and it is not installed: install the Debian package 'bubblewrap'");
        }
        List<String> cmd = new ArrayList<>(List.of(bwrap, "--die-with-parent"));
        if (Files.isDirectory(Path.of(StorePath.STORE_DIR))) {
            cmd.addAll(List.of("--dev-bind", "/", "/"));
        } else {
            // no /nix on the host: a fresh root with the host's top-level entries, and /nix/store in it
            cmd.addAll(List.of("--tmpfs", "/"));
            try (var entries = Files.list(Path.of("/"))) {
                for (Path e : entries.sorted().toList()) {
                    String name = e.toString();
                    if (name.equals("/nix")) {
                        continue;
                    }
                    if (Files.isSymbolicLink(e)) {
                        cmd.addAll(List.of("--symlink", Files.readSymbolicLink(e).toString(), name));
                    } else if (Files.isDirectory(e)) {
                        cmd.addAll(List.of("--dev-bind", name, name));
                    }
                }
            } catch (IOException ex) {
                throw new NixException(Kind.IO, "cannot list / to set up the sandbox: " + ex.getMessage(), ex);
            }
        }
        cmd.addAll(List.of("--bind", storeDir.toString(), StorePath.STORE_DIR, "--chdir", cwd.toString(), "--"));
        cmd.addAll(argv);
        return cmd;
    }

    /**
     * Runs {@code argv} with {@code environment} (the whole environment of the child) and returns its
     * exit code; its output goes to the session's streams.
     */
    public static int run(Session session, List<String> argv, Map<String, String> environment, Path cwd) {
        ProcessBuilder pb = new ProcessBuilder(argv).directory(cwd.toFile());
        pb.environment().clear();
        pb.environment().putAll(environment);
        boolean direct = session.out() == System.out && session.err() == System.err;
        if (direct) {
            pb.inheritIO();
        } else {
            pb.redirectInput(ProcessBuilder.Redirect.INHERIT);
        }
        try {
            Process p = pb.start();
            Thread o = null;
            Thread e = null;
            if (!direct) {
                o = pump(p.getInputStream(), session.out());
                e = pump(p.getErrorStream(), session.err());
            }
            int code = p.waitFor();
            if (o != null) {
                o.join();
                e.join();
            }
            return code;
        } catch (IOException ex) {
            throw new NixException(Kind.NOT_FOUND, "cannot run " + argv.getFirst() + ": " + ex.getMessage(), ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new NixException(Kind.IO, "interrupted while running " + argv.getFirst(), ex);
        }
    }

    private static Thread pump(InputStream in, PrintStream out) {
        return Thread.ofVirtual().start(() -> {
            try (in) {
                in.transferTo(new OutputStream() {
                    @Override
                    public void write(int b) {
                        out.write(b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) {
                        out.write(b, off, len);
                        out.flush();
                    }
                });
            } catch (IOException ignored) {
                // the child went away
            }
        });
    }

    static String findOnPath(String name) {
        String path = System.getenv("PATH");
        for (String d : (path == null ? "/usr/bin:/bin" : path + ":/usr/bin:/bin").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
                return Path.of(d, name).toString();
            }
        }
        return null;
    }

}
