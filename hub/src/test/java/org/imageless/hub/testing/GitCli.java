package org.imageless.hub.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code git} (Debian's), run with a private HOME and no system config, never prompting.
 * Fails loudly when git is missing: tests against the real peer never skip.
 */
public final class GitCli {

    /** What a git command printed (stdout and stderr together) and how it exited. */
    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    private final Path home;

    public GitCli(Path home) {
        this.home = home;
        try {
            Files.createDirectories(home);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Result version = run(home, "--version");
        if (!version.ok()) {
            throw new IllegalStateException("git is needed by this test (Debian package 'git'): " + version.output());
        }
    }

    /** Runs {@code git args…} in {@code dir}. */
    public Result run(Path dir, String... args) {
        List<String> command = new ArrayList<>();
        command.add("git");
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("HOME", home.toString());
        pb.environment().put("GIT_CONFIG_NOSYSTEM", "1");
        pb.environment().put("GIT_TERMINAL_PROMPT", "0");
        pb.environment().put("GIT_AUTHOR_NAME", "alice");
        pb.environment().put("GIT_AUTHOR_EMAIL", "alice@example.org");
        pb.environment().put("GIT_COMMITTER_NAME", "alice");
        pb.environment().put("GIT_COMMITTER_EMAIL", "alice@example.org");
        pb.environment().remove("GIT_ASKPASS");
        pb.environment().remove("SSH_ASKPASS");
        try {
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("git " + args[0] + " did not finish in 120 s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run git (Debian package 'git' is needed by this test): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Like {@link #run} but fails with git's output unless it exits 0. */
    public String ok(Path dir, String... args) {
        Result r = run(dir, args);
        if (!r.ok()) {
            throw new AssertionError("git " + String.join(" ", args) + " exited " + r.exitCode() + ":\n" + r.output());
        }
        return r.output();
    }
}
