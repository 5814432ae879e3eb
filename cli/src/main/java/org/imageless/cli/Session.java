package org.imageless.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.imageless.nix.NixException;

/**
 * One invocation of {@code flox}: its environment variables, working directory, output streams,
 * configuration and (lazily) its hub client. Commands take everything from here, so a test can run
 * the CLI in-process as different users in different directories.
 */
public final class Session implements AutoCloseable {

    private final Map<String, String> env;
    private final Path cwd;
    private final PrintStream out;
    private final PrintStream err;
    private final java.util.List<String> argv;
    private Config config;
    private HubClient hub;
    private String user;

    public Session(Map<String, String> env, Path cwd, PrintStream out, PrintStream err, java.util.List<String> argv) {
        this.env = Map.copyOf(env);
        this.cwd = cwd.toAbsolutePath().normalize();
        this.out = out;
        this.err = err;
        this.argv = java.util.List.copyOf(argv);
    }

    public Map<String, String> env() {
        return env;
    }

    public Path cwd() {
        return cwd;
    }

    public Path resolve(Path p) {
        return cwd.resolve(p).normalize();
    }

    public PrintStream out() {
        return out;
    }

    public PrintStream err() {
        return err;
    }

    /** The command as typed, {@code flox} first ({@code [flox, install, -r, acme/web, hello]}): recorded in history entries. */
    public java.util.List<String> argv() {
        return argv;
    }

    public String commandLine() {
        return String.join(" ", argv);
    }

    public Config config() {
        if (config == null) {
            config = Config.load(env);
        }
        return config;
    }

    /** Forgets the loaded configuration (after {@code auth login} wrote a token). */
    public void reloadConfig() {
        config = null;
        if (hub != null) {
            hub.close();
            hub = null;
        }
    }

    public HubClient hub() {
        if (hub == null) {
            hub = new HubClient(config());
        }
        return hub;
    }

    /** The FloxHub user the token belongs to ({@code /api/v1/whoami}). */
    public String hubUser() {
        if (user == null) {
            JsonNode me = hub().send("GET", "/api/v1/whoami", null, true);
            user = me.path("name").asText();
        }
        return user;
    }

    /** Who a history entry names: the FloxHub user when logged in and reachable, else the local user. */
    public String author() {
        if (config().token() != null) {
            try {
                return hubUser();
            } catch (NixException e) {
                if (e.kind() != NixException.Kind.UNAVAILABLE) {
                    throw e;
                }
            }
        }
        return env.getOrDefault("USER", System.getProperty("user.name"));
    }

    public String hostname() {
        try {
            Path etc = Path.of("/etc/hostname");
            if (Files.isReadable(etc)) {
                String h = Files.readString(etc).strip();
                if (!h.isEmpty()) {
                    return h;
                }
            }
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    /** This machine's Nix system ({@code x86_64-linux}, {@code aarch64-linux}). */
    public static String system() {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String cpu = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("mac") ? "darwin" : "linux";
        return cpu + "-" + os;
    }

    @Override
    public void close() {
        if (hub != null) {
            hub.close();
        }
    }
}
