package org.imageless.environment.activation;

import java.util.Locale;
import org.imageless.nix.NixException;

/** Flox's activation modes ({@code flox activate -m}, {@code options.activate.mode}, {@code flox.dev/activate-mode}). */
public enum ActivationMode {
    /** Only what running the packages needs: PATH, MANPATH, [vars]. Flox's default for containers. */
    RUN,
    /** Also the development paths of etc/profile.d/0100_common-paths.sh (CPATH, PKG_CONFIG_PATH, ...). */
    DEV;

    public static ActivationMode parse(String text) {
        return switch (text) {
            case "run" -> RUN;
            case "dev" -> DEV;
            default -> throw NixException.invalid("activation mode '%s': expected 'run' or 'dev'", text);
        };
    }

    /** {@code run} or {@code dev}. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }
}
