package org.imageless.hub.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.imageless.hub.Hub;
import org.imageless.hub.account.Role;
import org.imageless.hub.auth.Expiry;
import org.imageless.hub.server.HubServer;
import org.imageless.hub.testing.Backend;
import org.imageless.hub.testing.MutableClock;
import org.imageless.hub.testing.TestHubs;
import org.imageless.nix.cache.BinaryCacheClient;
import org.imageless.nix.sign.TrustedKeys;
import org.imageless.nix.testing.NixCacheFixture;
import org.imageless.nix.testing.RealNix;

/**
 * A served hub for catalog tests: alice writes to {@code acme}, carol reads it, bob is outside it;
 * real nix has copied {@link NixCacheFixture}'s closure (root → middle → …, leaf) to the hub's cache
 * with alice's token.
 */
final class CatalogHub implements AutoCloseable {

    static final JsonMapper JSON = JsonMapper.builder().build();

    final Hub hub;
    final HubServer server;
    final NixCacheFixture nix;
    final String alice;
    final String bob;
    final String carol;
    private final HttpClient http = HttpClient.newHttpClient();

    CatalogHub(Backend backend, Path dir) throws IOException {
        hub = TestHubs.open(backend, dir.resolve("data"), new MutableClock(Instant.parse("2026-07-01T10:00:00Z")));
        hub.accounts().createUser("alice", "pw-alice-123".toCharArray());
        hub.accounts().createUser("bob", "pw-bob-123".toCharArray());
        hub.accounts().createUser("carol", "pw-carol-123".toCharArray());
        hub.accounts().createOrg("acme");
        hub.accounts().addMember("acme", "alice", Role.WRITER);
        hub.accounts().addMember("acme", "carol", Role.READER);
        alice = hub.tokens().createPersonal("alice", "laptop", Expiry.parse("30d")).secret();
        bob = hub.tokens().createPersonal("bob", "laptop", Expiry.parse("30d")).secret();
        carol = hub.tokens().createPersonal("carol", "laptop", Expiry.parse("30d")).secret();
        server = HubServer.start(hub, "127.0.0.1", 0, List.of());
        nix = new NixCacheFixture(dir.resolve("nix"));
        Path netrc = Files.writeString(dir.resolve("netrc"), "machine 127.0.0.1\nlogin anyone\npassword " + alice + "\n");
        RealNix.Result copied = nix.nix.tryRun(List.of("nix", "copy", "--store", nix.nix.storeUri(), "--to", cacheUrl(),
                nix.root), null, Map.of("NIX_CONFIG", RealNix.NIX_CONFIG + "\nnetrc-file = " + netrc));
        assertThat(copied.exitCode()).as(copied.stderr()).isZero();
    }

    String url() {
        return "http://127.0.0.1:" + server.port();
    }

    String cacheUrl() {
        return url() + "/cache";
    }

    record Response(int status, JsonNode body) {
        String error() {
            return body.path("error").asText();
        }
    }

    Response send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "bearer " + token);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), JSON.readTree(r.body().isEmpty() ? "null" : r.body()));
    }

    Response get(String path, String token) throws Exception {
        return send("GET", path, token, null);
    }

    /** Publishes {@code owner/name version} with output {@code out} for x86_64-linux. */
    Response publish(String token, String pkgPath, String version, String out) throws Exception {
        String[] p = pkgPath.split("/");
        return send("POST", "/api/v1/catalog/" + p[0] + "/packages/" + p[1] + "/versions", token, """
                {"version": "%s", "description": "%s, a test package", "license": "MIT",
                 "systems": {"x86_64-linux": {"outputs": {"out": "%s"}, "outputs_to_install": ["out"]}}}"""
                .formatted(version, p[1], out));
    }

    /** Resolves one install id {@code id} for {@code systems}; {@code version} may be null. */
    Response resolve(String token, String id, String pkgPath, String version, String... systems) throws Exception {
        var request = JSON.createObjectNode();
        var s = request.putArray("systems");
        for (String system : systems) {
            s.add(system);
        }
        var entry = request.putObject("install").putObject(id);
        entry.put("pkg-path", pkgPath);
        if (version != null) {
            entry.put("version", version);
        }
        return send("POST", "/api/v1/catalog/resolve", token, request.toString());
    }

    BinaryCacheClient cacheClient(String token) {
        BinaryCacheClient.Builder b = BinaryCacheClient.builder(URI.create(cacheUrl()))
                .trustedKeys(TrustedKeys.of(hub.signingKey().publicKey()));
        if (token != null) {
            b.token(token);
        }
        return b.build();
    }

    @Override
    public void close() {
        server.stop();
        hub.close();
        http.close();
    }
}
