package org.imageless.hub.auth;

/** The three kinds of token, told apart by their prefix. */
public enum TokenKind {
    /** Created by a user (or an admin for them) for scripts; {@code flox_pat_…}. */
    PERSONAL("flox_pat_", "personal"),
    /** Belongs to an organisation's service account; {@code flox_sat_…}. */
    SERVICE_ACCOUNT("flox_sat_", "service_account"),
    /** Issued by interactive login ({@code flox auth login}); valid 30 days; {@code flox_lgn_…}. */
    LOGIN("flox_lgn_", "login");

    private final String prefix;
    private final String label;

    TokenKind(String prefix, String label) {
        this.prefix = prefix;
        this.label = label;
    }

    public String prefix() {
        return prefix;
    }

    /** The name stored in the database and shown in listings. */
    public String label() {
        return label;
    }

    static TokenKind ofLabel(String label) {
        for (TokenKind k : values()) {
            if (k.label.equals(label)) {
                return k;
            }
        }
        throw new IllegalStateException("unknown token kind in the database: " + label);
    }
}
