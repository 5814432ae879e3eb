package org.imageless.hub.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.imageless.environment.generation.HistoryEntry;
import org.imageless.hub.auth.Visibility;
import org.imageless.hub.testing.Backend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The web UI in headless Chromium (Selenium): what a person signs in to, reads and clicks. One hub
 * and one browser for the class; every test starts as a fresh visitor (no cookies).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebUiBrowserTest {

    static final String MANIFEST_2 = """
            version = 1

            [install]
            gh.pkg-path = "gh"
            jq.pkg-path = "jq"
            jq.version = "^1.7"
            coreutils.pkg-path = "coreutils"

            [vars]
            GREETING = "hello <world> & friends"

            [hook]
            on-activate = '''
            echo "welcome to web"
            '''

            [profile]
            common = '''
            alias ll="ls -l"
            '''

            [options]
            """;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    private WebTestHub hub;
    private Browser browser;
    private String alice;

    @BeforeAll
    void start() {
        hub = WebTestHub.start(tmp, Backend.SQLITE, Clock.systemUTC());
        alice = hub.createUser("alice");
        hub.createUser("bob");
        hub.pushGeneration("alice", "web", WebTestHub.MANIFEST, WebTestHub.LOCK, alice, "alice", "laptop",
                HistoryEntry.Change.install(List.of("gh", "jq", "coreutils")));
        hub.pushGeneration("alice", "web", MANIFEST_2, WebTestHub.LOCK, alice, "alice", "ci-runner", HistoryEntry.Change.edit());
        hub.pushGeneration("alice", "secret", WebTestHub.MANIFEST, null, alice);
        hub.hub.environments().setVisibility("alice", "secret", Visibility.PRIVATE);
        browser = Browser.start(tmp, hub.url());
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.close();
        }
        if (hub != null) {
            hub.close();
        }
    }

    @BeforeEach
    void freshVisitor() {
        browser.forget();
    }

    @Test
    void aUserSignsInWithTheirPasswordAndSeesTheirEnvironments() {
        browser.signIn("alice", WebTestHub.password("alice"));
        assertThat(browser.path()).isEqualTo("/");
        assertThat(browser.text("h1")).isEqualTo("Welcome, alice");
        browser.click("#owners a");
        assertThat(browser.path()).isEqualTo("/envs/alice");
        assertThat(browser.text("#environments")).contains("web").contains("secret").contains("private");
        assertThat(browser.has("#hidden-note")).isFalse();
    }

    @Test
    void aWrongPasswordIsRefusedAndThePageSaysSo() {
        browser.signIn("alice", "not-her-password");
        assertThat(browser.path()).isEqualTo("/signin");
        assertThat(browser.text("#reason")).contains("wrong user name or password");
        assertThat(browser.has("#sign-out")).isFalse();
    }

    @Test
    void theEnvironmentPageShowsPackagesVariablesAndScriptsOfTheLiveGeneration() {
        browser.open("/envs/alice/web");
        assertThat(browser.text("#live-generation")).isEqualTo("2");
        String packages = browser.text("#packages");
        assertThat(packages).contains("gh").contains("jq").contains("coreutils").contains("^1.7")
                .contains("2.96.0").contains("1.8.1").contains("9.11").contains("x86_64-linux");

        browser.click("#tab-vars");
        assertThat(browser.text("#vars")).contains("GREETING").contains("hello <world> & friends");

        browser.click("#tab-scripts");
        assertThat(browser.text("#hook")).isEqualTo("echo \"welcome to web\"");
        assertThat(browser.text("#profile-common")).isEqualTo("alias ll=\"ls -l\"");
        assertThat(browser.text("#profile-zsh")).isEqualTo("none");
    }

    @Test
    void generationsAndHistorySayWhoChangedWhatFromWhereWithAManifestDiff() {
        browser.open("/envs/alice/web/generations");
        assertThat(browser.text("#generation-2")).contains("live").contains("alice").contains("ci-runner").contains("flox edit");
        assertThat(browser.text("#generation-1")).contains("laptop").contains("flox install gh jq coreutils");

        browser.click("#tab-history");
        WebElement newest = browser.find("#history-1");
        assertThat(newest.getText()).contains("Generation 2").contains("alice").contains("ci-runner").contains("flox edit");
        List<String> added = newest.findElements(By.cssSelector(".diff .add")).stream().map(WebElement::getText).toList();
        List<String> removed = newest.findElements(By.cssSelector(".diff .del")).stream().map(WebElement::getText).toList();
        assertThat(added).contains("+GREETING = \"hello <world> & friends\"", "+jq.version = \"^1.7\"", "+echo \"welcome to web\"");
        assertThat(removed).contains("-[services]");
        assertThat(browser.text("#history-0")).contains("Generation 1").contains("laptop").contains("flox install gh jq coreutils");
    }

    @Test
    void theRunningTabShowsWhereEachGenerationRunsAfterANodeReports() {
        browser.open("/envs/alice/web/running");
        assertThat(browser.text("#not-running")).contains("No node has reported");
        HttpResponse<String> put = hub.json("PUT", "/api/v1/events", alice, """
                [{"environment":"alice/web","generation":2,"node":"node-7","namespace":"shop","pod":"web-5d9f","container":"app","mode":"run"},
                 {"environment":"alice/web","generation":1,"node":"node-8","namespace":"shop","pod":"web-old","container":"app","mode":"dev"}]""");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(202);

        browser.open("/envs/alice/web/running");
        List<String> rows = browser.driver.findElements(By.cssSelector("#running tbody tr")).stream().map(WebElement::getText).toList();
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0)).contains("2").contains("node-7").contains("shop").contains("web-5d9f").contains("app").contains("run");
        assertThat(rows.get(1)).contains("node-8").contains("web-old").contains("dev");
        browser.click("#tab-generations");
        assertThat(browser.text("#generation-2")).contains("1 container");
    }

    @Test
    void aPrivateEnvironmentIsHiddenFromNonMembersAndThePageSaysWhy() {
        browser.open("/envs/alice");
        assertThat(browser.text("#environments")).contains("web").doesNotContain("secret");
        assertThat(browser.text("#hidden-note")).contains("1 private environment is not shown").contains("not signed in");
        browser.open("/envs/alice/secret");
        assertThat(browser.text("#reason")).contains("'alice/secret' is private").contains("you are not signed in");
        assertThat(browser.has("#sign-in-to-continue")).isTrue();

        browser.signIn("bob", WebTestHub.password("bob"));
        browser.open("/envs/alice");
        assertThat(browser.text("#environments")).doesNotContain("secret");
        assertThat(browser.text("#hidden-note")).contains("bob is not a member of 'alice'");
        browser.open("/envs/alice/secret/history");
        assertThat(browser.text("h1")).isEqualTo("Access denied");
        assertThat(browser.text("#reason")).contains("'alice/secret' is private").contains("bob is not a member of 'alice'");
        assertThat(browser.driver.getPageSource()).doesNotContain("gh.pkg-path");
    }

    @Test
    void aDeviceCodeRequestedOverHttpIsApprovedInTheBrowserAndTheCliGetsAWorkingToken() throws Exception {
        HttpResponse<String> codeResponse = hub.json("POST", "/api/v1/auth/device/code", null, "{\"client_name\":\"flox on build-box\"}");
        JsonNode code = JSON.readTree(codeResponse.body());
        String userCode = code.get("user_code").asText();
        String deviceCode = code.get("device_code").asText();
        assertThat(JSON.readTree(poll(deviceCode).body()).get("error").asText()).isEqualTo("authorization_pending");

        // the link the CLI prints, on this test hub's port: signed out, it goes through sign-in and back
        browser.open("/device?code=" + userCode);
        assertThat(browser.path()).startsWith("/signin");
        browser.find("#user").sendKeys("alice");
        browser.find("#password").sendKeys(WebTestHub.password("alice"));
        browser.click("#sign-in-submit");
        assertThat(browser.path()).isEqualTo("/device?code=" + userCode);
        assertThat(browser.text("#device-request")).contains("flox on build-box").contains("alice").contains(userCode);
        browser.click("#approve");
        assertThat(browser.text("#device-result")).contains("flox on build-box is signed in as alice");

        Thread.sleep(2_100); // the poll interval
        HttpResponse<String> granted = poll(deviceCode);
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(200);
        String token = JSON.readTree(granted.body()).get("access_token").asText();
        assertThat(token).startsWith("flox_lgn_");
        HttpResponse<String> whoami = hub.json("GET", "/api/v1/whoami", token, null);
        assertThat(whoami.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(whoami.body()).get("name").asText()).isEqualTo("alice");
    }

    @Test
    void aWrongDeviceCodeIsRefusedOnThePageWithTheReason() {
        browser.signIn("alice", WebTestHub.password("alice"));
        browser.open("/device");
        browser.find("#code").sendKeys("BCDF-GHJK");
        browser.click("#approve");
        assertThat(browser.text("#reason")).contains("no login is waiting for code BCDF-GHJK");
    }

    private HttpResponse<String> poll(String deviceCode) {
        return hub.json("POST", "/api/v1/auth/device/token", null, "{\"device_code\":\"" + deviceCode + "\"}");
    }

    @Test
    void aUserCreatesAPersonalTokenSeesItOnceAndRevokesIt() throws Exception {
        browser.signIn("alice", WebTestHub.password("alice"));
        browser.open("/tokens");
        assertThat(browser.text("#tokens")).contains("web sign-in").contains("this browser");
        browser.find("#token-name").sendKeys("deploy script");
        browser.click("#create-token");
        String token = browser.text("#new-token");
        assertThat(token).startsWith("flox_pat_");
        assertThat(hub.json("GET", "/api/v1/whoami", token, null).statusCode()).isEqualTo(200);

        browser.open("/tokens");
        assertThat(browser.has("#new-token")).as("shown once").isFalse();
        WebElement row = browser.driver.findElements(By.cssSelector("#tokens tbody tr")).stream()
                .filter(r -> r.getText().contains("deploy script")).findFirst().orElseThrow();
        String id = row.getAttribute("id").substring("token-".length());
        browser.click("#revoke-" + id);
        assertThat(browser.path()).isEqualTo("/tokens");
        assertThat(browser.text("#token-" + id + " .state")).startsWith("revoked");
        HttpResponse<String> refused = hub.json("GET", "/api/v1/whoami", token, null);
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.body()).contains("was revoked");
    }

    @Test
    void signingOutEndsTheSession() {
        long before = liveSessions();
        browser.signIn("alice", WebTestHub.password("alice"));
        assertThat(liveSessions()).isEqualTo(before + 1);
        browser.click("#sign-out");
        assertThat(browser.has("#sign-in")).isTrue();
        browser.open("/tokens");
        assertThat(browser.text("#reason")).contains("sign in first");
        assertThat(liveSessions()).as("the session's token is revoked").isEqualTo(before);
    }

    private long liveSessions() {
        return hub.hub.tokens().listForUser("alice").stream()
                .filter(t -> t.name().equals(WebSessions.TOKEN_NAME) && t.revoked().isEmpty()).count();
    }
}
