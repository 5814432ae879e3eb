package org.imageless.runtime.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The real runc (Debian) under a private {@code --root}, driven through flox-container-runtime
 * launchers as containerd's shim drives it, with the runtime's JSON log in {@link #log}.
 * {@link #close} force-deletes every container marked {@link #started}.
 */
public final class Runc implements AutoCloseable {

    /** runc's {@code --root}. */
    public final Path root;
    /** The {@code --log} file (JSON lines) the runtime and runc write. */
    public final Path log;
    private final Path out;
    private final List<String> started = new CopyOnWriteArrayList<>();

    /** runc state under {@code dir}: {@code runc-root}, {@code log.json}, {@code out/}. */
    public Runc(Path dir) {
        root = dir.resolve("runc-root");
        log = dir.resolve("log.json");
        out = dir.resolve("out");
    }

    /** Fails the test unless runc is installed. */
    public static void require() {
        try {
            Process p = new ProcessBuilder("runc", "--version").redirectErrorStream(true).start();
            if (p.waitFor() != 0) {
                throw new AssertionError("'runc --version' failed");
            }
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("runc is required (Debian package runc; 'make test' installs it with scripts/install-deps.sh): " + e);
        }
    }

    /** Runs {@code launcher} with runc's global options ({@code --root}, {@code --log}, JSON) and then {@code args}. */
    public Launcher.Run run(Launcher launcher, String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("--root", root.toString(), "--log", log.toString(), "--log-format", "json"));
        all.addAll(List.of(args));
        return launcher.run(out, all.toArray(String[]::new));
    }

    /** Container {@code id} exists: {@link #close} deletes it. */
    public void started(String id) {
        started.add(id);
    }

    /** Container {@code id} is gone already. */
    public void forget(String id) {
        started.remove(id);
    }

    /**
     * create, start, wait until the container exits; returns the create call (its out/err are the
     * container's). Fails with the log if create fails.
     */
    public Launcher.Run runToCompletion(Launcher launcher, Path bundle, String id) throws IOException, InterruptedException {
        Launcher.Run create = run(launcher, "create", "--bundle", bundle.toString(), id);
        if (create.exitCode() != 0) {
            throw new AssertionError("create failed (exit " + create.exitCode() + "): " + logText());
        }
        started(id);
        Launcher.Run start = run(launcher, "start", id);
        if (start.exitCode() != 0) {
            throw new AssertionError("start of " + id + " failed (exit " + start.exitCode() + "): " + logText());
        }
        waitFor(id, "stopped");
        return create;
    }

    /** Waits (up to 10 s) until runc reports container {@code id} in {@code status}. */
    public void waitFor(String id, String status) throws IOException, InterruptedException {
        for (int i = 0; i < 200; i++) {
            Process p = new ProcessBuilder("runc", "--root", root.toString(), "state", id).start();
            String state = new String(p.getInputStream().readAllBytes());
            p.waitFor(10, TimeUnit.SECONDS);
            if (state.contains("\"status\": \"" + status + "\"") || state.contains("\"status\":\"" + status + "\"")) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("container " + id + " did not reach " + status);
    }

    /** runc knows container {@code id} ({@code runc state} succeeds). */
    public boolean exists(String id) throws IOException, InterruptedException {
        Process state = new ProcessBuilder("runc", "--root", root.toString(), "state", id).redirectErrorStream(true).start();
        state.getInputStream().readAllBytes();
        return state.waitFor() == 0;
    }

    /** The log so far ("" before the first write). */
    public String logText() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** {@code runc delete --force} of every started container. */
    @Override
    public void close() throws IOException, InterruptedException {
        for (String id : started) {
            new ProcessBuilder("runc", "--root", root.toString(), "delete", "--force", id)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        }
    }
}
