package org.imageless.hub.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.config.RoutesConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.imageless.hub.Hub;
import org.imageless.hub.HubException;
import org.imageless.hub.account.Role;
import org.imageless.hub.auth.Expiry;
import org.imageless.hub.auth.IssuedToken;
import org.imageless.hub.auth.Visibility;
import org.imageless.hub.testing.Backend;
import org.imageless.hub.testing.MutableClock;
import org.imageless.hub.testing.TestHubs;
import org.imageless.nix.NixException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server over real HTTP: health, metrics, the account API with every kind of credential, the error mapping. */
class HubServerTest {

    @TempDir
    Path tmp;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-07-01T12:00:00Z"));
    private final HttpClient http = HttpClient.newHttpClient();
    private Hub hub;
    private HubServer server;
    private IssuedToken alice;

    /** A feature registered from outside, as environments, git and the cache will be. */
    private final Routes probe = (RoutesConfig routes) -> {
        routes.get("/probe/private/{owner}", ctx -> {
            var p = Requests.checkRead(ctx, hub.access(), ctx.pathParam("owner"), Visibility.PRIVATE);
            ctx.result("read by " + p.name());
        });
        routes.get("/probe/public/{owner}", ctx -> {
            var p = Requests.checkRead(ctx, hub.access(), ctx.pathParam("owner"), Visibility.PUBLIC);
            ctx.result("read by " + p.name());
        });
        routes.post("/probe/write/{owner}", ctx -> {
            var p = Requests.checkWrite(ctx, hub.access(), ctx.pathParam("owner"));
            ctx.result("written by " + p.name());
        });
        routes.get("/probe/conflict", ctx -> {
            throw HubException.conflict("already there");
        });
        routes.get("/probe/corrupt", ctx -> {
            throw NixException.corrupt("NAR hash mismatch");
        });
        routes.get("/probe/bug", ctx -> {
            throw new IllegalStateException("secret internals");
        });
    };

    @BeforeEach
    void start() {
        hub = TestHubs.open(Backend.SQLITE, tmp.resolve("data"), clock);
        hub.accounts().createUser("alice", "alice-password".toCharArray());
        hub.accounts().createUser("bob", "bob-password".toCharArray());
        hub.accounts().createOrg("acme");
        hub.accounts().addMember("acme", "alice", Role.WRITER);
        alice = hub.tokens().createPersonal("alice", "laptop", Expiry.parse("30d"));
        server = HubServer.start(hub, "127.0.0.1", 0, List.of(probe));
    }

    @AfterEach
    void stop() {
        server.stop();
        hub.close();
        http.close();
    }

    private HttpResponse<String> get(String path, String authorization) throws Exception {
        return send("GET", path, authorization);
    }

    private HttpResponse<String> send(String method, String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String bearer(IssuedToken t) {
        return "Bearer " + t.secret();
    }

    private static String basic(String user, IssuedToken t) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + t.secret()).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void healthzChecksTheDatabase() throws Exception {
        HttpResponse<String> r = get("/healthz", null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"status\":\"ok\"", "\"database\":\"sqlite\"");
    }

    @Test
    void whoamiWithBearerAndBasicTokens() throws Exception {
        for (String auth : List.of(bearer(alice), basic("oauth", alice), basic("alice", alice), basic("git", alice))) {
            HttpResponse<String> r = get("/api/v1/whoami", auth);
            assertThat(r.statusCode()).as(auth.substring(0, 6)).isEqualTo(200);
            assertThat(r.body()).isEqualTo("{\"name\":\"alice\",\"kind\":\"user\",\"memberships\":[{\"org\":\"acme\",\"role\":\"writer\"}]}");
        }
    }

    @Test
    void whoamiOfAServiceAccount() throws Exception {
        hub.accounts().createServiceAccount("acme", "ci", Role.READER);
        IssuedToken t = hub.tokens().createServiceAccountToken("acme", "ci", "pipeline", Expiry.NEVER);
        HttpResponse<String> r = get("/api/v1/whoami", bearer(t));
        assertThat(r.body()).isEqualTo("{\"name\":\"acme/ci\",\"kind\":\"service_account\",\"memberships\":[{\"org\":\"acme\",\"role\":\"reader\"}]}");
    }

    @Test
    void missingCredentialsAreAChallengeGitAndNixAnswer() throws Exception {
        HttpResponse<String> r = get("/api/v1/whoami", null);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).contains("Basic realm=\"floxhub\"");
        assertThat(r.body()).contains("\"kind\":\"unauthenticated\"", "no credentials");
    }

    @Test
    void expiredTokenIsRefusedWhereATokenIsRequiredAndSaysWhen() throws Exception {
        clock.advance(Duration.ofDays(31));
        HttpResponse<String> r = get("/api/v1/whoami", bearer(alice));
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).contains("token expired on 2026-07-31: create a new one with 'flox auth login' or 'floxhub admin token create'");
    }

    @Test
    void expiredTokenOnSomethingPublicIsServedAsAnonymousWithAWarning() throws Exception {
        clock.advance(Duration.ofDays(31));
        HttpResponse<String> r = get("/api/v1/owners/acme", bearer(alice));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"name\":\"acme\",\"kind\":\"org\",\"role\":\"none\"}");
        assertThat(r.headers().firstValue(Requests.WARNING_HEADER)).get().asString().contains("token expired on 2026-07-31");

        HttpResponse<String> pub = get("/probe/public/acme", bearer(alice));
        assertThat(pub.body()).isEqualTo("read by anonymous");
        HttpResponse<String> priv = get("/probe/private/acme", bearer(alice));
        assertThat(priv.statusCode()).isEqualTo(401);
        assertThat(priv.body()).contains("token expired on");
    }

    @Test
    void revokedTokensReadPublicThingsAsAnonymousWithAWarningAndUnknownOrMalformedOnesAreRefused() throws Exception {
        hub.tokens().revoke(alice.info().id());
        HttpResponse<String> revoked = get("/api/v1/owners/acme", bearer(alice));
        assertThat(revoked.statusCode()).isEqualTo(200);
        assertThat(revoked.headers().firstValue(Requests.WARNING_HEADER)).get().asString()
                .startsWith("299 floxhub \"").contains("was revoked on 2026-07-01", "served as anonymous");
        HttpResponse<String> whoami = get("/api/v1/whoami", bearer(alice));
        assertThat(whoami.statusCode()).isEqualTo(401);
        assertThat(whoami.body()).contains("was revoked on 2026-07-01");
        HttpResponse<String> unknown = get("/api/v1/whoami", "bearer flox_pat_" + "x".repeat(43));
        assertThat(unknown.body()).contains("not known to this hub");
        HttpResponse<String> malformed = get("/api/v1/whoami", "bearer ghp_something");
        assertThat(malformed.statusCode()).isEqualTo(401);
        assertThat(malformed.body()).contains("not a FloxHub token").doesNotContain("ghp_something");
    }

    @Test
    void ownersReportKindAndTheCallersRole() throws Exception {
        assertThat(get("/api/v1/owners/alice", bearer(alice)).body()).isEqualTo("{\"name\":\"alice\",\"kind\":\"user\",\"role\":\"owner\"}");
        assertThat(get("/api/v1/owners/acme", bearer(alice)).body()).isEqualTo("{\"name\":\"acme\",\"kind\":\"org\",\"role\":\"writer\"}");
        assertThat(get("/api/v1/owners/acme", null).body()).isEqualTo("{\"name\":\"acme\",\"kind\":\"org\",\"role\":\"none\"}");
        HttpResponse<String> missing = get("/api/v1/owners/nobody", bearer(alice));
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).isEqualTo("{\"error\":\"no user or organisation is named 'nobody'\",\"kind\":\"not_found\"}");
    }

    @Test
    void featureRoutesUseTheAccessPolicy() throws Exception {
        IssuedToken bob = hub.tokens().createPersonal("bob", "b", Expiry.NEVER);
        assertThat(get("/probe/private/acme", bearer(alice)).body()).isEqualTo("read by alice");
        assertThat(get("/probe/private/acme", null).statusCode()).isEqualTo(401);
        HttpResponse<String> forbidden = get("/probe/private/acme", bearer(bob));
        assertThat(forbidden.statusCode()).isEqualTo(403);
        assertThat(forbidden.body()).contains("\"kind\":\"forbidden\"", "bob may not read");
        assertThat(send("POST", "/probe/write/acme", bearer(alice)).body()).isEqualTo("written by alice");
        assertThat(send("POST", "/probe/write/acme", bearer(bob)).statusCode()).isEqualTo(403);
    }

    @Test
    void mapsErrorsToStatusesAndJsonInOnePlace() throws Exception {
        assertThat(get("/probe/conflict", null).statusCode()).isEqualTo(409);
        HttpResponse<String> corrupt = get("/probe/corrupt", null);
        assertThat(corrupt.statusCode()).isEqualTo(400);
        assertThat(corrupt.body()).isEqualTo("{\"error\":\"NAR hash mismatch\",\"kind\":\"corrupt\"}");
        HttpResponse<String> bug = get("/probe/bug", null);
        assertThat(bug.statusCode()).isEqualTo(500);
        assertThat(bug.body()).doesNotContain("secret internals");
        HttpResponse<String> unmatched = get("/no/such/route", null);
        assertThat(unmatched.statusCode()).isEqualTo(404);
        assertThat(unmatched.body()).contains("\"kind\":\"not_found\"");
    }

    @Test
    void metricsCountRequestsByRouteAndStatus() throws Exception {
        get("/api/v1/owners/acme", null);
        get("/api/v1/owners/acme", null);
        get("/api/v1/owners/nobody", null);
        HttpResponse<String> r = get("/metrics", null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).get().asString().startsWith("text/plain");
        assertThat(r.body())
                .contains("floxhub_http_requests_total{method=\"GET\",route=\"/api/v1/owners/{owner}\",status=\"200\"} 2.0")
                .contains("floxhub_http_requests_total{method=\"GET\",route=\"/api/v1/owners/{owner}\",status=\"404\"} 1.0")
                .contains("floxhub_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/owners/{owner}\",status=\"200\",le=\"+Inf\"} 2");
    }

    @Test
    void logsOneLinePerRequestWithThePrincipalAndNeverTheToken() throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            get("/api/v1/whoami?token=" + alice.secret(), bearer(alice));
            get("/api/v1/whoami", basic("git", alice));
        } finally {
            System.setErr(original);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        // slf4j-simple resolves System.err when it logs, so the capture sees the request lines
        assertThat(log).contains("GET /api/v1/whoami 200").contains("ms alice");
        assertThat(log).doesNotContain(alice.secret()).doesNotContain(alice.secret().substring(9, 30)).doesNotContain("token=");
    }
}
