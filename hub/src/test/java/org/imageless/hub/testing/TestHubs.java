package org.imageless.hub.testing;

import java.nio.file.Path;
import java.time.Clock;
import org.imageless.hub.Hub;
import org.imageless.hub.HubConfig;
import org.imageless.hub.account.Passwords;

/** Opens a hub for a test on a fresh database of the given backend, with cheap password hashing. */
public final class TestHubs {

    private TestHubs() {}

    public static Hub open(Backend backend, Path dataDir, Clock clock) {
        return Hub.open(new HubConfig(dataDir, backend.freshDbUrl(dataDir), HubConfig.DEFAULT_PUBLIC_URL),
                clock, new Passwords(1_000));
    }
}
