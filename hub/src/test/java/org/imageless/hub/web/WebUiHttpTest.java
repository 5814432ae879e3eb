package org.imageless.hub.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imageless.hub.auth.Visibility;
import org.imageless.hub.testing.Backend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a browser test cannot see: status codes, cookie attributes, CSRF and redirect checks, raw escaping. */
class WebUiHttpTest {

    @TempDir
    Path tmp;

    private WebTestHub hub;
    private final HttpClient http = HttpClient.newHttpClient(); // does not follow redirects

    @BeforeEach
    void start() {
        hub = WebTestHub.start(tmp, Backend.SQLITE, Clock.systemUTC());
        String alice = hub.createUser("alice");
        hub.createUser("bob");
        hub.pushGeneration("alice", "web", WebUiBrowserTest.MANIFEST_2, WebTestHub.LOCK, alice);
        hub.pushGeneration("alice", "secret", WebTestHub.MANIFEST, null, alice);
        hub.hub.environments().setVisibility("alice", "secret", Visibility.PRIVATE);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private HttpResponse<String> get(String path, String cookies) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hub.url() + path)).GET();
        if (cookies != null) {
            b.header("Cookie", cookies);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String cookies, String form) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hub.url() + path))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form));
        if (cookies != null) {
            b.header("Cookie", cookies);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String cookieValue(HttpResponse<?> r, String name) {
        return r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith(name + "=")).findFirst()
                .map(c -> c.substring(name.length() + 1, c.indexOf(';'))).orElseThrow(() -> new AssertionError("no cookie " + name));
    }

    /** Signs in as {@code user}; returns the Cookie header of the session. */
    private String signIn(String user) throws Exception {
        HttpResponse<String> form = get("/signin", null);
        String csrf = cookieValue(form, WebSessions.CSRF_COOKIE);
        HttpResponse<String> r = post("/signin", WebSessions.CSRF_COOKIE + "=" + csrf,
                "csrf=" + csrf + "&next=%2Fenvs%2Falice&user=" + user + "&password=" + WebTestHub.password(user));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(302);
        assertThat(r.headers().firstValue("Location")).hasValue("/envs/alice");
        return WebSessions.CSRF_COOKIE + "=" + csrf + "; " + WebSessions.SESSION_COOKIE + "=" + cookieValue(r, WebSessions.SESSION_COOKIE);
    }

    @Test
    void theSessionCookieIsHttpOnlyAndSameSiteLaxAndHoldsALoginToken() throws Exception {
        HttpResponse<String> form = get("/signin", null);
        String csrf = cookieValue(form, WebSessions.CSRF_COOKIE);
        HttpResponse<String> r = post("/signin", WebSessions.CSRF_COOKIE + "=" + csrf,
                "csrf=" + csrf + "&user=alice&password=" + WebTestHub.password("alice"));
        String session = r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith(WebSessions.SESSION_COOKIE))
                .findFirst().orElseThrow();
        assertThat(session).startsWith(WebSessions.SESSION_COOKIE + "=flox_lgn_").containsIgnoringCase("HttpOnly")
                .containsIgnoringCase("SameSite=Lax").contains("Path=/");
    }

    @Test
    void aPostWithoutTheCsrfTokenIsRefused() throws Exception {
        String cookies = signIn("alice");
        HttpResponse<String> r = post("/tokens", cookies, "name=sneaky&expires=30d");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).contains("CSRF check failed");
        HttpResponse<String> wrong = post("/tokens", cookies, "csrf=" + "x".repeat(43) + "&name=sneaky&expires=30d");
        assertThat(wrong.statusCode()).isEqualTo(403);
        assertThat(hub.hub.tokens().listForUser("alice")).noneMatch(t -> t.name().equals("sneaky"));
    }

    @Test
    void signInNeverRedirectsToAnotherSite() {
        for (String next : List.of("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)")) {
            assertThat(WebUi.safeNext(next)).as(next).isEqualTo("/");
        }
        assertThat(WebUi.safeNext("/device?code=BCDF-GHJK")).isEqualTo("/device?code=BCDF-GHJK");
    }

    @Test
    void denialPagesHaveTheStatusOfTheirReason() throws Exception {
        assertThat(get("/envs/alice/secret", null).statusCode()).isEqualTo(401);
        HttpResponse<String> stranger = get("/envs/alice/secret", signIn("bob"));
        assertThat(stranger.statusCode()).isEqualTo(403);
        assertThat(stranger.body()).contains("bob is not a member of &#39;alice&#39;");
        assertThat(get("/envs/alice/secret", signIn("alice")).statusCode()).isEqualTo(200);
        assertThat(get("/envs/alice/nope", null).statusCode()).isEqualTo(404);
        assertThat(get("/envs/nobody", null).statusCode()).isEqualTo(404);
        assertThat(get("/envs/alice/web/nonsense", null).body()).contains("has no tab &#39;nonsense&#39;");
    }

    @Test
    void valuesFromTheManifestAreHtmlEscaped() throws Exception {
        HttpResponse<String> r = get("/envs/alice/web/vars", null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        assertThat(r.body()).contains("hello &lt;world&gt; &amp; friends").doesNotContain("<world>");
    }

    @Test
    void theDevicePageSendsASignedOutVisitorToSignInAndBack() throws Exception {
        HttpResponse<String> r = get("/device?code=BCDF-GHJK", null);
        assertThat(r.statusCode()).isEqualTo(302);
        Matcher m = Pattern.compile("/signin\\?next=(.*)").matcher(r.headers().firstValue("Location").orElseThrow());
        assertThat(m.matches()).isTrue();
        assertThat(java.net.URLDecoder.decode(m.group(1), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("/device?code=BCDF-GHJK");
    }
}
