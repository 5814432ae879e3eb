package org.imageless.hub.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.imageless.environment.lock.LockedPackage;
import org.imageless.environment.lock.Lockfile;
import org.imageless.hub.testing.Backend;
import org.imageless.nix.cache.BinaryCacheClient;
import org.imageless.nix.store.StorePath;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalog over HTTP on SQLite, with store paths that real nix copied to the served hub. Tests
 * share one hub and use their own package names; {@code root} is only ever published privately.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CatalogTest {

    private CatalogHub hub;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        hub = new CatalogHub(Backend.SQLITE, dir);
    }

    @AfterAll
    void stop() {
        hub.close();
    }

    private List<String> texts(JsonNode array, String field) {
        List<String> result = new ArrayList<>();
        array.forEach(n -> result.add(field == null ? n.asText() : n.path(field).asText()));
        return result;
    }

    @Test
    void publishesAVersionAndShowsItWithItsSystemsAndPublisher() throws Exception {
        CatalogHub.Response published = hub.publish(hub.alice, "acme/hello", "1.0.0", hub.nix.middle);
        assertThat(published.status()).as(published.body().toString()).isEqualTo(201);
        assertThat(published.body().path("pkg_path").asText()).isEqualTo("acme/hello");

        CatalogHub.Response shown = hub.get("/api/v1/catalog/acme/packages/hello", null);
        assertThat(shown.status()).isEqualTo(200);
        assertThat(shown.body().path("visibility").asText()).isEqualTo("public");
        JsonNode v = shown.body().path("versions").get(0);
        assertThat(v.path("version").asText()).isEqualTo("1.0.0");
        assertThat(v.path("publisher").asText()).isEqualTo("alice");
        assertThat(v.path("license").asText()).isEqualTo("MIT");
        assertThat(v.path("published_at").asText()).isEqualTo("2026-07-01T10:00:00Z");
        assertThat(v.path("systems").path("x86_64-linux").path("outputs").path("out").asText()).isEqualTo(hub.nix.middle);
        assertThat(texts(v.path("systems").path("x86_64-linux").path("outputs_to_install"), null)).containsExactly("out");

        CatalogHub.Response one = hub.get("/api/v1/catalog/acme/packages/hello/versions/1.0.0", hub.bob);
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.body().path("description").asText()).isEqualTo("hello, a test package");
        CatalogHub.Response absent = hub.get("/api/v1/catalog/acme/packages/hello/versions/9.9", null);
        assertThat(absent.status()).isEqualTo(404);
        assertThat(absent.error()).isEqualTo("acme/hello has no version '9.9': available 1.0.0");
    }

    @Test
    void versionsAreImmutable() throws Exception {
        assertThat(hub.publish(hub.alice, "acme/fixed", "1.0.0", hub.nix.leaf).status()).isEqualTo(201);
        CatalogHub.Response again = hub.publish(hub.alice, "acme/fixed", "1.0.0", hub.nix.middle);
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.error()).isEqualTo("acme/fixed 1.0.0 is already published and versions are immutable: publish a new version");
        JsonNode kept = hub.get("/api/v1/catalog/acme/packages/fixed/versions/1.0.0", null).body();
        assertThat(kept.path("systems").path("x86_64-linux").path("outputs").path("out").asText()).isEqualTo(hub.nix.leaf);
    }

    @Test
    void publishingAPathMissingFromTheCacheSaysToUploadItFirst() throws Exception {
        String missing = "/nix/store/" + "0".repeat(32) + "-not-uploaded";
        CatalogHub.Response r = hub.publish(hub.alice, "acme/ghost", "1.0.0", missing);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).isEqualTo(missing + " (output 'out' for x86_64-linux) is not in the hub's binary cache with "
                + "its whole closure: upload it first with 'nix copy --to http://127.0.0.1:8484/cache " + missing + "'");
        assertThat(hub.get("/api/v1/catalog/acme/packages/ghost", hub.alice).status()).isEqualTo(404);
    }

    @Test
    void publishingNeedsAWriterOfTheOwnerAndAValidBody() throws Exception {
        assertThat(hub.publish(null, "acme/nope", "1.0.0", hub.nix.leaf).status()).isEqualTo(401);
        CatalogHub.Response reader = hub.publish(hub.carol, "acme/nope", "1.0.0", hub.nix.leaf);
        assertThat(reader.status()).isEqualTo(403);
        assertThat(reader.error()).contains("carol may not write to 'acme' (role: reader)");
        assertThat(hub.publish(hub.bob, "acme/nope", "1.0.0", hub.nix.leaf).status()).isEqualTo(403);
        assertThat(hub.publish(hub.bob, "bob/mine", "1.0.0", hub.nix.leaf).status()).isEqualTo(201);

        CatalogHub.Response unknownKey = hub.send("POST", "/api/v1/catalog/acme/packages/nope/versions", hub.alice,
                "{\"version\": \"1\", \"systems\": {}, \"colour\": \"red\"}");
        assertThat(unknownKey.status()).isEqualTo(400);
        assertThat(unknownKey.error()).startsWith("unknown key 'colour' in request");
        CatalogHub.Response noSystems = hub.send("POST", "/api/v1/catalog/acme/packages/nope/versions", hub.alice,
                "{\"version\": \"1.0.0\"}");
        assertThat(noSystems.status()).isEqualTo(400);
        assertThat(noSystems.error()).startsWith("a version needs outputs for at least one system");
    }

    private void publishTool() throws Exception {
        if (hub.get("/api/v1/catalog/acme/packages/tool", hub.alice).status() == 404) {
            for (String v : List.of("2.1.0", "1.0.0", "1.2.0")) {
                assertThat(hub.publish(hub.alice, "acme/tool", v, v.equals("1.0.0") ? hub.nix.leaf : hub.nix.middle)
                        .status()).isEqualTo(201);
            }
        }
    }

    @Test
    void showListsVersionsNewestFirst() throws Exception {
        publishTool();
        CatalogHub.Response shown = hub.get("/api/v1/catalog/acme/packages/tool", null);
        assertThat(texts(shown.body().path("versions"), "version")).containsExactly("1.2.0", "1.0.0", "2.1.0");
    }

    @Test
    void resolvesTheHighestVersionSatisfyingTheConstraintAsFloxLockEntries() throws Exception {
        publishTool();
        assertThat(hub.resolve(null, "tool", "acme/tool", null, "x86_64-linux").body()
                .path("packages").get(0).path("version").asText()).isEqualTo("2.1.0");
        assertThat(hub.resolve(null, "tool", "acme/tool", "~1.0", "x86_64-linux").body()
                .path("packages").get(0).path("version").asText()).isEqualTo("1.0.0");

        CatalogHub.Response r = hub.resolve(hub.bob, "tool", "acme/tool", "^1", "x86_64-linux");
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        JsonNode entry = r.body().path("packages").get(0);
        List<String> keys = new ArrayList<>();
        entry.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("attr_path", "broken", "derivation", "description", "install_id", "license",
                "locked_url", "name", "pname", "rev", "rev_count", "rev_date", "scrape_date", "stabilities", "unfree",
                "version", "outputs_to_install", "outputs", "system", "group", "priority");
        assertThat(entry.path("attr_path").asText()).isEqualTo("acme/tool");
        assertThat(entry.path("version").asText()).isEqualTo("1.2.0");
        assertThat(entry.path("name").asText()).isEqualTo("tool-1.2.0");
        assertThat(entry.path("rev_count").asLong()).isEqualTo(3);
        assertThat(entry.path("rev").asText()).matches("[0-9a-f]{40}");
        assertThat(entry.path("locked_url").asText()).isEqualTo("http://127.0.0.1:8484/api/v1/catalog/acme/packages/tool/versions/1.2.0");
        assertThat(entry.path("outputs").path("out").asText()).isEqualTo(hub.nix.middle);
        assertThat(entry.path("group").asText()).isEqualTo("toplevel");
        assertThat(entry.path("priority").asLong()).isEqualTo(5);

        // the entries go straight into manifest.lock
        ObjectNode lock = CatalogHub.JSON.createObjectNode();
        lock.put("lockfile-version", 1);
        ObjectNode manifest = lock.putObject("manifest");
        manifest.put("version", 1);
        manifest.putObject("install").putObject("tool").put("pkg-path", "acme/tool").put("version", "^1");
        ((ArrayNode) lock.putArray("packages")).addAll((ArrayNode) r.body().path("packages"));
        Lockfile parsed = Lockfile.parse(lock.toString(), "manifest.lock");
        assertThat(parsed.packages()).singleElement().isInstanceOfSatisfying(LockedPackage.Catalog.class, c -> {
            assertThat(c.version()).isEqualTo("1.2.0");
            assertThat(c.outputs().get("out")).isEqualTo(StorePath.parse(hub.nix.middle));
        });
    }

    @Test
    void resolveErrorsNameThePackageTheConstraintAndTheSystems() throws Exception {
        publishTool();
        CatalogHub.Response typo = hub.resolve(null, "tool", "acme/tol", null, "x86_64-linux");
        assertThat(typo.status()).isEqualTo(404);
        assertThat(typo.error()).isEqualTo("package 'acme/tol' not found in the catalog; did you mean 'acme/tool'?");
        assertThat(typo.body().path("errors").get(0).path("install_id").asText()).isEqualTo("tool");

        CatalogHub.Response unknown = hub.resolve(null, "x", "acme/zzzzzzzz", null, "x86_64-linux");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.error()).isEqualTo("package 'acme/zzzzzzzz' not found in the catalog");

        CatalogHub.Response none = hub.resolve(null, "tool", "acme/tool", "^3", "x86_64-linux");
        assertThat(none.status()).isEqualTo(404);
        assertThat(none.error()).isEqualTo("no version of acme/tool matches '^3': available 1.0.0, 1.2.0, 2.1.0");

        CatalogHub.Response system = hub.resolve(null, "tool", "acme/tool", null, "x86_64-linux", "aarch64-darwin");
        assertThat(system.status()).isEqualTo(404);
        assertThat(system.error()).isEqualTo("acme/tool has no outputs for aarch64-darwin: it has x86_64-linux");
        assertThat(system.body().path("packages")).hasSize(1);

        CatalogHub.Response bad = hub.resolve(null, "tool", "acme/tool", "^^1", "x86_64-linux");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.error()).startsWith("'tool': version constraint '^^1' is not a semver range");

        CatalogHub.Response bare = hub.resolve(null, "tool", "tool", null, "x86_64-linux");
        assertThat(bare.status()).isEqualTo(404);
        assertThat(bare.error()).isEqualTo("package 'tool' not found in the catalog; did you mean 'acme/tool'? "
                + "(catalog packages are written owner/name)");
    }

    @Test
    void searchFindsReadablePackagesByNameOrDescriptionWithTheirLatestVersion() throws Exception {
        publishTool();
        CatalogHub.Response r = hub.get("/api/v1/catalog/search?q=TOOL", null);
        assertThat(r.status()).isEqualTo(200);
        JsonNode hit = r.body().path("results").get(0);
        assertThat(hit.path("pkg_path").asText()).isEqualTo("acme/tool");
        assertThat(hit.path("version").asText()).isEqualTo("2.1.0");
        assertThat(texts(hit.path("systems"), null)).containsExactly("x86_64-linux");
        assertThat(texts(hub.get("/api/v1/catalog/search?q=a%20test", null).body().path("results"), "pkg_path"))
                .contains("acme/tool");
    }

    @Test
    void aPrivatePackageIsInvisibleToOthersAndItsPathsAreNotServedToThem() throws Exception {
        assertThat(hub.publish(hub.alice, "acme/secret", "1.0.0", hub.nix.root).status()).isEqualTo(201);
        CatalogHub.Response made = hub.send("PATCH", "/api/v1/catalog/acme/packages/secret", hub.alice, "{\"visibility\": \"private\"}");
        assertThat(made.status()).as(made.body().toString()).isEqualTo(200);
        assertThat(hub.publish(hub.alice, "acme/open", "1.0.0", hub.nix.middle).status()).isEqualTo(201);

        for (String outsider : new String[] {hub.bob, null}) {
            assertThat(hub.get("/api/v1/catalog/search?q=secret", outsider).body().path("results")).isEmpty();
            CatalogHub.Response shown = hub.get("/api/v1/catalog/acme/packages/secret", outsider);
            assertThat(shown.status()).isEqualTo(404);
            assertThat(shown.error()).isEqualTo("package 'acme/secret' not found in the catalog");
            CatalogHub.Response resolved = hub.resolve(outsider, "s", "acme/secret", null, "x86_64-linux");
            assertThat(resolved.status()).isEqualTo(404);
            assertThat(resolved.error()).isEqualTo("package 'acme/secret' not found in the catalog");
        }
        assertThat(hub.send("PATCH", "/api/v1/catalog/acme/packages/secret", hub.bob, "{\"visibility\": \"public\"}").status())
                .isEqualTo(404);
        assertThat(hub.get("/api/v1/catalog/acme/packages/secret", hub.carol).status()).isEqualTo(200);
        assertThat(hub.resolve(hub.carol, "s", "acme/secret", null, "x86_64-linux").status()).isEqualTo(200);
        assertThat(texts(hub.get("/api/v1/catalog/search?q=secret", hub.carol).body().path("results"), "pkg_path"))
                .containsExactly("acme/secret");

        StorePath root = StorePath.parse(hub.nix.root);
        StorePath middle = StorePath.parse(hub.nix.middle);
        try (BinaryCacheClient asBob = hub.cacheClient(hub.bob); BinaryCacheClient asCarol = hub.cacheClient(hub.carol)) {
            assertThat(asBob.narInfo(root)).isEmpty();
            List<String> publicClosure = asBob.closure(List.of(middle)).keySet().stream().map(StorePath::toString).toList();
            assertThat(publicClosure).containsExactlyInAnyOrderElementsOf(
                    hub.nix.closure().stream().filter(p -> !p.equals(hub.nix.root)).toList());
            assertThat(asCarol.closure(List.of(root)).keySet().stream().map(StorePath::toString).toList())
                    .containsExactlyInAnyOrderElementsOf(hub.nix.closure());
        }
    }
}
