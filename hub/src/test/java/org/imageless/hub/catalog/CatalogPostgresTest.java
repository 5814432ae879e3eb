package org.imageless.hub.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.imageless.hub.testing.Backend;
import org.imageless.nix.cache.BinaryCacheClient;
import org.imageless.nix.store.StorePath;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The catalog's schema and queries on PostgreSQL: publish, conflict, resolve, and the cache roots. */
class CatalogPostgresTest {

    @TempDir
    Path dir;

    @Test
    void publishesResolvesAndServesThePublishedClosureOnPostgresql() throws Exception {
        try (CatalogHub hub = new CatalogHub(Backend.POSTGRESQL, dir)) {
            assertThat(hub.publish(hub.alice, "acme/hello", "1.0.0", hub.nix.leaf).status()).isEqualTo(201);
            assertThat(hub.publish(hub.alice, "acme/hello", "1.1.0", hub.nix.middle).status()).isEqualTo(201);
            assertThat(hub.publish(hub.alice, "acme/hello", "1.1.0", hub.nix.middle).status()).isEqualTo(409);

            CatalogHub.Response r = hub.resolve(hub.bob, "hello", "acme/hello", "^1.0", "x86_64-linux");
            assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
            assertThat(r.body().path("packages").get(0).path("version").asText()).isEqualTo("1.1.0");
            assertThat(r.body().path("packages").get(0).path("rev_count").asLong()).isEqualTo(2);
            assertThat(hub.get("/api/v1/catalog/search?q=hello", null).body().path("results").get(0).path("version").asText())
                    .isEqualTo("1.1.0");

            try (BinaryCacheClient anonymous = hub.cacheClient(null)) {
                assertThat(anonymous.closure(List.of(StorePath.parse(hub.nix.middle)))).hasSize(hub.nix.closure().size() - 1);
                assertThat(anonymous.narInfo(StorePath.parse(hub.nix.root))).isEmpty();
            }
        }
    }
}
