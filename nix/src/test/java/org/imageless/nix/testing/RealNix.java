package org.imageless.nix.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code nix} (Debian {@code nix-bin}) as a test oracle, run offline with a private store
 * root so tests never touch the machine's {@code /nix}. Fails loudly when nix is not installed:
 * {@code make test} installs it.
 */
public final class RealNix {

    /**
     * Offline, no sandbox, the new CLI enabled; builds as the calling user (as root nix would otherwise build as
     * the group {@code nixbld}'s users, which Debian's nix-bin does not create).
     */
    public static final String NIX_CONFIG = String.join("\n",
            "experimental-features = nix-command",
            "substituters =",
            "sandbox = false",
            "build-users-group =",
            "fsync-metadata = false");

    private final Path storeRoot;

    private RealNix(Path storeRoot) {
        this.storeRoot = storeRoot;
    }

    /** A nix whose local store lives under {@code workDir}; asserts that nix is installed. */
    public static RealNix in(Path workDir) {
        try {
            Process p = new ProcessBuilder("nix", "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0 || !out.contains("nix")) {
                throw new AssertionError("'nix --version' failed: " + out);
            }
        } catch (IOException e) {
            throw new AssertionError("real nix is required for this test and is not installed "
                    + "(Debian package nix-bin; 'make test' installs it): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return new RealNix(workDir.resolve("nix-root"));
    }

    /** The chroot store root: the store's files are under {@code <root>/nix/store}. */
    public Path storeRoot() {
        return storeRoot;
    }

    /** The {@code --store} argument addressing this private store. */
    public String storeUri() {
        return storeRoot.toString();
    }

    /** Where a store path's files are on disk. */
    public Path realPath(String storePath) {
        return Path.of(storeRoot + storePath);
    }

    /** Runs nix-store / nix with the offline config; returns stdout; fails with stderr on non-zero exit. */
    public byte[] run(List<String> command) {
        return run(command, null);
    }

    public byte[] run(List<String> command, Path stdin) {
        Result r = tryRun(command, stdin, Map.of());
        if (r.exitCode() != 0) {
            throw new AssertionError("command " + command + " exited " + r.exitCode() + ": " + r.stderr());
        }
        return r.stdout();
    }

    public String runText(String... command) {
        return new String(run(List.of(command)), StandardCharsets.UTF_8).strip();
    }

    /**
     * The offline config, and nix's own caches (~/.cache/nix) kept beside this test's store: nix
     * remembers narinfo lookups per cache URL, and test servers pick free ports, so a port used
     * again by a later test must not answer from what nix remembers of an earlier one. (The lookup
     * cache itself stays on, as users have it: nix relies on it to know what it just uploaded.)
     */
    private void isolate(ProcessBuilder pb) {
        pb.environment().put("NIX_CONFIG", NIX_CONFIG);
        pb.environment().put("XDG_CACHE_HOME", storeRoot.resolveSibling("nix-cache-home").toString());
    }

    /** Runs a command; the caller checks the result. */
    public Result tryRun(List<String> command, Path stdin, Map<String, String> extraEnv) {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command));
        isolate(pb);
        pb.environment().putAll(extraEnv);
        if (stdin != null) {
            pb.redirectInput(stdin.toFile());
        } else {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        try {
            Process p = pb.start();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread errPump = Thread.ofVirtual().start(() -> copy(p.getErrorStream(), err));
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("command " + command + " timed out");
            }
            errPump.join();
            return new Result(p.exitValue(), out, err.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException ignored) {
            // the process went away; what was read is kept
        }
    }

    /** {@code nix-store --add PATH} into the private store; returns the store path printed. */
    public String add(Path path) {
        return runText("nix-store", "--store", storeUri(), "--add", path.toString());
    }

    /** {@code nix-store --dump PATH}: the NAR bytes. */
    public byte[] dump(Path path) {
        return run(List.of("nix-store", "--dump", path.toString()));
    }

    /** {@code nix-store --dump PATH > narFile}: the NAR streamed to a file, for trees too large to hold. */
    public void dumpTo(Path path, Path narFile) {
        ProcessBuilder pb = new ProcessBuilder("nix-store", "--dump", path.toString());
        isolate(pb);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.redirectOutput(narFile.toFile());
        try {
            Process p = pb.start();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("nix-store --dump " + path + " timed out");
            }
            if (p.exitValue() != 0) {
                throw new AssertionError("nix-store --dump " + path + " exited " + p.exitValue() + ": " + err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Runs {@code sh -c script} with the offline config (for pipelines such as timing a dump); returns stdout. */
    public String shell(String script) {
        return new String(run(List.of("sh", "-c", script)), StandardCharsets.UTF_8).strip();
    }

    /**
     * Builds a Nix expression with {@code nix-build} in the private store and returns the output path.
     * A store with its own root builds in nix's sandbox, so the host's {@code /bin} and libraries are
     * made visible there for builders such as {@code /bin/sh}.
     */
    public String build(String expression) {
        List<String> command = List.of("nix-build", "--store", storeUri(), "--no-out-link", "-E", expression);
        Result r = tryRun(command, null,
                Map.of("NIX_CONFIG", NIX_CONFIG + "\nextra-sandbox-paths = /bin /lib /lib64 /usr"));
        if (r.exitCode() != 0) {
            throw new AssertionError("command " + command + " exited " + r.exitCode() + ": " + r.stderr());
        }
        return r.stdoutText().strip();
    }

    /** {@code nix-store --query --references PATH}: the references nix recorded (found by its own scan). */
    public List<String> references(String storePath) {
        String out = runText("nix-store", "--store", storeUri(), "--query", "--references", storePath);
        return out.isEmpty() ? List.of() : List.of(out.split("\n"));
    }

    /** {@code nix hash path --type sha256 PATH} in SRI form. */
    public String hashPath(Path path) {
        return runText("nix", "hash", "path", "--type", "sha256", path.toString());
    }

    /** {@code nix-store --restore DEST < nar}. */
    public void restore(Path nar, Path dest) {
        run(List.of("nix-store", "--restore", dest.toString()), nar);
    }

    /** Generates a signing key pair with {@code nix-store --generate-binary-cache-key}. */
    public KeyPair generateKey(String name, Path dir) {
        Path secret = dir.resolve(name + ".sec");
        Path pub = dir.resolve(name + ".pub");
        run(List.of("nix-store", "--generate-binary-cache-key", name, secret.toString(), pub.toString()));
        try {
            return new KeyPair(Files.readString(secret).strip(), Files.readString(pub).strip(), secret, pub);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code nix store sign --key-file KEY -r PATHS}: signs the paths and their closures in this store. */
    public void sign(Path keyFile, String... paths) {
        List<String> cmd = new ArrayList<>(List.of("nix", "store", "sign", "--store", storeUri(), "--key-file",
                keyFile.toString(), "-r"));
        cmd.addAll(List.of(paths));
        run(cmd);
    }

    /** {@code nix copy --from <this store> --to TO PATHS} (with their closures). */
    public void copyTo(String to, String... paths) {
        List<String> cmd = new ArrayList<>(List.of("nix", "copy", "--from", storeUri(), "--to", to));
        cmd.addAll(List.of(paths));
        run(cmd);
    }

    /** {@code builtins.toFile NAME CONTENTS} where CONTENTS mentions {@code refs}: a text path referencing them. */
    public String addTextWithReferences(String name, String text, String... refs) {
        StringBuilder expr = new StringBuilder("builtins.toFile \"" + name + "\" \"" + text);
        for (String ref : refs) {
            expr.append(" ${builtins.storePath ").append(ref).append("}");
        }
        expr.append("\"");
        return runText("nix-instantiate", "--store", storeUri(), "--eval", "--read-write-mode", "--expr",
                expr.toString()).replace("\"", "");
    }

    public record KeyPair(String secretKey, String publicKey, Path secretFile, Path publicFile) {}

    public record Result(int exitCode, byte[] stdout, String stderr) {
        public String stdoutText() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }
}
