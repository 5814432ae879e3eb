package org.imageless.hub.auth;

import java.util.Locale;
import org.imageless.hub.HubException;

/** Who may read an environment: anyone (public, the default) or members of its owner (private). */
public enum Visibility {
    PUBLIC, PRIVATE;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Visibility parse(String text) {
        return switch (text) {
            case "public" -> PUBLIC;
            case "private" -> PRIVATE;
            default -> throw HubException.invalid("visibility '%s' is not one of public, private", text);
        };
    }
}
