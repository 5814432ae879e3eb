package org.imageless.hub.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.imageless.hub.HubException;
import org.imageless.hub.auth.TokenInfo;
import org.imageless.hub.auth.TokenKind;
import org.imageless.hub.auth.Tokens;
import org.imageless.hub.testing.Backend;
import org.imageless.hub.testing.MutableClock;
import org.imageless.hub.web.WebTestHub;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Device-code login over HTTP (contract C3): code, polling answers, approval (here through the
 * service the /device page uses; the browser flow is in WebUiBrowserTest), the token it yields.
 */
class DeviceLoginTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T06:00:00Z"));
    private WebTestHub hub;
    private DeviceCodes codes;

    private void start(Backend backend) {
        hub = WebTestHub.start(tmp, backend, clock);
        hub.createUser("alice");
        codes = new DeviceCodes(hub.hub.database().jdbi(), hub.hub.tokens(), clock);
    }

    @AfterEach
    void stop() {
        if (hub != null) {
            hub.close();
        }
    }

    private JsonNode code() {
        HttpResponse<String> r = hub.json("POST", "/api/v1/auth/device/code", null, "{\"client_name\":\"flox on laptop\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return parse(r.body());
    }

    private HttpResponse<String> poll(String deviceCode) {
        return hub.json("POST", "/api/v1/auth/device/token", null, "{\"device_code\":\"" + deviceCode + "\"}");
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (Exception e) {
            throw new AssertionError(body, e);
        }
    }

    private void assertPollError(String deviceCode, String error) {
        HttpResponse<String> r = poll(deviceCode);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(parse(r.body()).get("error").asText()).as(r.body()).isEqualTo(error);
        assertThat(parse(r.body()).get("error_description").asText()).isNotBlank();
    }

    @Test
    void anApprovedCodeYieldsOneThirtyDayLoginTokenThatWhoamiAccepts() {
        start(Backend.SQLITE);
        JsonNode code = code();
        assertThat(code.get("user_code").asText()).matches("[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}");
        assertThat(code.get("verification_uri").asText()).isEqualTo("http://127.0.0.1:8484/device");
        assertThat(code.get("verification_uri_complete").asText())
                .isEqualTo("http://127.0.0.1:8484/device?code=" + code.get("user_code").asText());
        assertThat(code.get("expires_in").asInt()).isEqualTo(600);
        assertThat(code.get("interval").asInt()).isEqualTo(2);
        String device = code.get("device_code").asText();

        assertPollError(device, "authorization_pending");
        clock.advance(Duration.ofSeconds(2));
        // the page accepts the code as typed: lower case, without the dash
        codes.approve(code.get("user_code").asText().replace("-", "").toLowerCase(java.util.Locale.ROOT), "alice");

        HttpResponse<String> granted = poll(device);
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(200);
        assertThat(granted.headers().firstValue("Cache-Control")).hasValue("no-store");
        JsonNode token = parse(granted.body());
        assertThat(token.get("access_token").asText()).startsWith("flox_lgn_");
        assertThat(token.get("token_type").asText()).isEqualTo("bearer");
        assertThat(token.get("expires_in").asLong()).isEqualTo(2_592_000L);
        assertThat(token.get("user").asText()).isEqualTo("alice");

        HttpResponse<String> whoami = hub.json("GET", "/api/v1/whoami", token.get("access_token").asText(), null);
        assertThat(whoami.statusCode()).isEqualTo(200);
        assertThat(whoami.body()).contains("\"name\":\"alice\"");
        TokenInfo info = hub.hub.tokens().listForUser("alice").stream().filter(t -> t.kind() == TokenKind.LOGIN).findFirst().orElseThrow();
        assertThat(info.name()).isEqualTo("device login: flox on laptop");
        assertThat(info.expires()).hasValue(clock.instant().plus(Tokens.LOGIN_VALIDITY));

        clock.advance(Duration.ofSeconds(2));
        assertPollError(device, "invalid_grant");
    }

    @Test
    void pollingFasterThanTheIntervalIsToldToSlowDown() {
        start(Backend.SQLITE);
        String device = code().get("device_code").asText();
        assertPollError(device, "authorization_pending");
        HttpResponse<String> fast = poll(device);
        assertThat(parse(fast.body()).get("error").asText()).isEqualTo("slow_down");
        assertThat(parse(fast.body()).get("error_description").asText()).contains("wait 7 s");
        clock.advance(Duration.ofSeconds(7));
        assertPollError(device, "authorization_pending");
    }

    @Test
    void aDeniedCodeYieldsAccessDeniedAndCannotBeApprovedAfterwards() {
        start(Backend.SQLITE);
        JsonNode code = code();
        codes.deny(code.get("user_code").asText());
        assertPollError(code.get("device_code").asText(), "access_denied");
        assertThatThrownBy(() -> codes.approve(code.get("user_code").asText(), "alice"))
                .isInstanceOf(HubException.class).hasMessageContaining("was already denied");
    }

    @Test
    void aCodeNotApprovedWithinTenMinutesExpires() {
        start(Backend.SQLITE);
        JsonNode code = code();
        clock.advance(DeviceCodes.LIFETIME);
        assertPollError(code.get("device_code").asText(), "expired_token");
        assertThatThrownBy(() -> codes.approve(code.get("user_code").asText(), "alice"))
                .isInstanceOf(HubException.class).hasMessageContaining("expired");
    }

    @Test
    void unknownAndMalformedCodesAreRefusedWithTheReason() {
        start(Backend.SQLITE);
        assertPollError("no-such-code", "invalid_grant");
        HttpResponse<String> missing = hub.json("POST", "/api/v1/auth/device/token", null, "{}");
        assertThat(missing.body()).contains("invalid_grant").contains("device_code is missing");
        assertThatThrownBy(() -> codes.approve("BCDF-GHJK", "alice")).hasMessageContaining("no login is waiting for code BCDF-GHJK");
        assertThatThrownBy(() -> codes.approve("hello", "alice")).hasMessageContaining("'hello' is not a device code");
    }

    @Test
    void theTokenEndpointAcceptsAFormEncodedPollAsRfc8628Shows() {
        start(Backend.SQLITE);
        String device = code().get("device_code").asText();
        HttpResponse<String> r = hub.send("POST", "/api/v1/auth/device/token", null, "application/x-www-form-urlencoded",
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=" + device);
        assertThat(parse(r.body()).get("error").asText()).isEqualTo("authorization_pending");
    }

    @Test
    void codesAreStoredOnlyAsHashes() {
        start(Backend.SQLITE);
        JsonNode code = code();
        String stored = hub.hub.database().jdbi().withHandle(h -> h.createQuery(
                "SELECT device_code_hash || ' ' || user_code_hash || ' ' || client_name FROM device_codes").mapTo(String.class).one());
        assertThat(stored).doesNotContain(code.get("device_code").asText())
                .doesNotContain(code.get("user_code").asText()).doesNotContain(code.get("user_code").asText().replace("-", ""));
    }

    @Test
    void deviceLoginWorksOnPostgresql() {
        start(Backend.POSTGRESQL);
        JsonNode code = code();
        codes.approve(code.get("user_code").asText(), "alice");
        HttpResponse<String> granted = poll(code.get("device_code").asText());
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(200);
    }
}
