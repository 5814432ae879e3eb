package org.imageless.hub;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The options that say which hub's data to use: shared by {@code serve} and every {@code admin} command. */
public final class HubOptions {

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "floxhub-data",
            description = "Data directory: the embedded database, the signing key, git repositories, the cache (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--db-url", paramLabel = "JDBC_URL", defaultValue = "${env:FLOXHUB_DB_URL}",
            description = "Database instead of the embedded SQLite, e.g. jdbc:postgresql://db/floxhub?user=hub&password=… "
                    + "(default: $FLOXHUB_DB_URL, else SQLite in the data directory).")
    String dbUrl;

    @Option(names = "--public-url", paramLabel = "URL",
            description = "The URL clients use to reach the hub; its host names the signing key when it is first created.")
    URI publicUrl;

    public HubConfig config(URI fallbackPublicUrl) {
        return new HubConfig(data, Optional.ofNullable(dbUrl).filter(s -> !s.isBlank()),
                publicUrl != null ? publicUrl : fallbackPublicUrl);
    }

    public HubConfig config() {
        return config(HubConfig.DEFAULT_PUBLIC_URL);
    }
}
