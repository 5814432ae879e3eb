package org.imageless.hub.account;

import java.util.Locale;
import org.imageless.hub.HubException;

/** What a principal may do in an owner's namespace, weakest first: compare with {@link #atLeast}. */
public enum Role {
    NONE, READER, WRITER, OWNER;

    public boolean atLeast(Role other) {
        return compareTo(other) >= 0;
    }

    /** The lower-case name used in the database, the CLI and JSON. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code owner}, {@code writer} or {@code reader}. */
    public static Role parse(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "owner" -> OWNER;
            case "writer" -> WRITER;
            case "reader" -> READER;
            default -> throw HubException.invalid("role '%s' is not one of owner, writer, reader", text);
        };
    }
}
