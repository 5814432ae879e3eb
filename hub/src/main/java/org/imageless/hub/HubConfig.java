package org.imageless.hub;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the hub keeps its state and how it is reached. {@code dbUrl} empty means the embedded SQLite
 * file in {@code dataDir}; {@code publicUrl} is the address clients use (it names the signing key).
 */
public record HubConfig(Path dataDir, Optional<String> dbUrl, URI publicUrl) {

    public static final Path DEFAULT_DATA = Path.of("floxhub-data");
    public static final URI DEFAULT_PUBLIC_URL = URI.create("http://127.0.0.1:8484");

    public HubConfig {
        if (publicUrl.getHost() == null) {
            throw HubException.invalid("public URL '%s' has no host: use e.g. https://hub.example.org", publicUrl);
        }
    }
}
