package org.imageless.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * One person using {@code flox}: a home directory of their own (config, caches, store) and a hub.
 * {@link #flox} runs the CLI in-process with that environment, as if typed in {@code cwd}.
 */
final class FloxUser {

    record Result(int code, String out, String err) {
        String all() {
            return out + err;
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    final String name;
    final Path home;
    final Map<String, String> env = new HashMap<>();

    /** A user whose token is in {@code ~/.config/flox/flox.toml} (null: not logged in). */
    FloxUser(String name, Path home, String hubUrl, String token) {
        this.name = name;
        this.home = home;
        try {
            Files.createDirectories(home);
            Files.createDirectories(home.resolve(".config/flox"));
            Files.writeString(home.resolve(".config/flox/flox.toml"), "floxhub_url = \"" + hubUrl + "\"\n"
                    + (token == null ? "" : "floxhub_token = \"" + token + "\"\n"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        env.put("HOME", home.toString());
        env.put("USER", name);
        env.put("PATH", System.getenv("PATH"));
        // root's default is the node store in /var/lib/flox: tests keep theirs in the user's home
        env.put("FLOX_STORE_DIR", home.resolve(".local/share/flox/store").toString());
    }

    Path dir(String name) {
        try {
            return Files.createDirectories(home.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Result flox(Path cwd, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Flox.execute(env, cwd, o, e, args);
        }
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    Result flox(String... args) {
        return flox(home, args);
    }
}
