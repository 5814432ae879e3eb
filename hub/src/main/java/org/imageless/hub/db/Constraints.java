package org.imageless.hub.db;

import java.sql.SQLException;

/** Recognises constraint violations (a name already taken) across SQLite and PostgreSQL. */
public final class Constraints {

    private Constraints() {}

    /** Whether {@code e} (or a cause) is an integrity-constraint violation: SQLSTATE class 23, or SQLite's SQLITE_CONSTRAINT. */
    public static boolean violated(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException s) {
                if (s.getSQLState() != null && s.getSQLState().startsWith("23")) {
                    return true;
                }
                if ((s.getErrorCode() & 0xff) == 19) { // SQLITE_CONSTRAINT and its extended codes
                    return true;
                }
            }
        }
        return false;
    }
}
