package org.imageless.nix.nodestore;

import java.net.URI;
import java.time.Duration;
import org.imageless.nix.cache.BinaryCacheClient;
import org.imageless.nix.sign.PublicKey;
import org.imageless.nix.sign.TrustedKeys;

/** Cache clients as the node store tests use them: one trusted key, quick retries. */
final class TestCaches {

    private TestCaches() {}

    static BinaryCacheClient client(URI cache, String publicKey) {
        return BinaryCacheClient.builder(cache)
                .trustedKeys(TrustedKeys.of(PublicKey.parse(publicKey)))
                .retries(3, Duration.ofMillis(10), Duration.ofMillis(50))
                .build();
    }
}
