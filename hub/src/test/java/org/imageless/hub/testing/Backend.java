package org.imageless.hub.testing;

import java.nio.file.Path;
import java.util.Optional;

/** The two databases the hub runs on; account and auth tests run against each. */
public enum Backend {
    SQLITE, POSTGRESQL;

    /** The {@code --db-url} for a fresh database: empty for SQLite (the file in the data directory). */
    public Optional<String> freshDbUrl(Path dataDir) {
        return switch (this) {
            case SQLITE -> Optional.empty();
            case POSTGRESQL -> Optional.of(PostgresCluster.shared().createDatabase());
        };
    }
}
