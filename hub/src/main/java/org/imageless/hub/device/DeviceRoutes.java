package org.imageless.hub.device;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;
import org.imageless.hub.Hub;
import org.imageless.hub.HubException;
import org.imageless.hub.auth.Tokens;
import org.imageless.hub.server.Routes;

/**
 * The device-code endpoints of contract C3 (RFC 8628 names):
 * {@code POST /api/v1/auth/device/code} starts a login, {@code POST /api/v1/auth/device/token} polls
 * it. Both take JSON or form-encoded bodies. Poll errors follow RFC 6749 §5.2:
 * {@code 400 {"error": "authorization_pending"|"slow_down"|"expired_token"|"access_denied"|"invalid_grant",
 * "error_description": "…"}}. The user approves at {@code /device} (the web UI).
 */
public final class DeviceRoutes implements Routes {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Hub hub;
    private final DeviceCodes codes;

    public DeviceRoutes(Hub hub, DeviceCodes codes) {
        this.hub = hub;
        this.codes = codes;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.post("/api/v1/auth/device/code", ctx -> {
            DeviceCodes.Issued issued = codes.issue(param(ctx, "client_name"));
            String base = hub.publicUrl().toString().replaceAll("/+$", "");
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("device_code", issued.deviceCode());
            body.put("user_code", issued.userCode());
            body.put("verification_uri", base + "/device");
            body.put("verification_uri_complete", base + "/device?code=" + issued.userCode());
            body.put("expires_in", issued.expiresIn().toSeconds());
            body.put("interval", issued.interval().toSeconds());
            ctx.header("Cache-Control", "no-store").json(body);
        });
        routes.post("/api/v1/auth/device/token", ctx -> {
            ctx.header("Cache-Control", "no-store");
            switch (codes.poll(param(ctx, "device_code"))) {
                case DeviceCodes.Poll.Granted g -> {
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("access_token", g.token().secret());
                    body.put("token_type", "bearer");
                    body.put("expires_in", Tokens.LOGIN_VALIDITY.toSeconds());
                    body.put("user", g.user());
                    ctx.json(body);
                }
                case DeviceCodes.Poll.AuthorizationPending p -> error(ctx, "authorization_pending",
                        "the user has not approved the code yet: poll again after the interval");
                case DeviceCodes.Poll.SlowDown s -> error(ctx, "slow_down",
                        "polled too often: wait " + s.interval().toSeconds() + " s between polls");
                case DeviceCodes.Poll.Expired e -> error(ctx, "expired_token",
                        "the code expired before it was approved: run 'flox auth login' again");
                case DeviceCodes.Poll.Denied d -> error(ctx, "access_denied",
                        "the user denied this login in the web UI");
                case DeviceCodes.Poll.Invalid i -> error(ctx, "invalid_grant", i.reason());
            }
        });
    }

    private static void error(Context ctx, String code, String description) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", code);
        body.put("error_description", description);
        ctx.status(400).json(body);
    }

    /** A parameter from a JSON object body or a form-encoded body; null when absent. */
    private static String param(Context ctx, String name) {
        String type = ctx.contentType() == null ? "" : ctx.contentType();
        if (type.startsWith("application/x-www-form-urlencoded")) {
            return ctx.formParam(name);
        }
        String body = ctx.body();
        if (body.isBlank()) {
            return null;
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw HubException.invalid("the body is not JSON (%s): send {\"%s\": \"…\"} or a form-encoded body",
                    e.getOriginalMessage(), name);
        }
        if (root == null || !root.isObject()) {
            throw HubException.invalid("the body is not a JSON object: send {\"%s\": \"…\"}", name);
        }
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw HubException.invalid("%s is %s: expected a string", name, v);
        }
        return v.asText();
    }
}
