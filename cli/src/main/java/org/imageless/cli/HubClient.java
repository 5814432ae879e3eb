package org.imageless.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.imageless.nix.NixException;
import org.imageless.nix.NixException.Kind;

/**
 * FloxHub's REST API as the CLI uses it. Every failure is a {@link NixException} whose kind gives
 * the exit code and whose message names the cause and the fix (the hub's own message included).
 */
public final class HubClient implements AutoCloseable {

    public static final JsonMapper JSON = JsonMapper.builder().build();

    private final Config config;
    private final HttpClient http;

    public HubClient(Config config) {
        this.config = config;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    public String url() {
        return config.hubUrl();
    }

    public JsonNode get(String path) {
        return send("GET", path, null, false);
    }

    public JsonNode post(String path, JsonNode body) {
        return send("POST", path, body, false);
    }

    /** A request that needs a token: refused up front with what to do when the user is not logged in. */
    public JsonNode send(String method, String path, JsonNode body, boolean requireToken) {
        if (requireToken) {
            requireToken();
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(config.hubUrl() + path))
                .timeout(Duration.ofMinutes(2))
                .header("Accept", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body.toString()));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (config.token() != null) {
            b.header("Authorization", "bearer " + config.token());
        }
        HttpResponse<String> r = exchange(b.build(), method + " " + path);
        r.headers().firstValue("Warning").ifPresent(w -> System.err.println("flox: warning from FloxHub: " + w));
        JsonNode json = parse(r.body());
        if (r.statusCode() / 100 == 2) {
            return json;
        }
        throw error(r.statusCode(), json, r.body());
    }

    /** The token, or a DENIED error saying how to log in. */
    public String requireToken() {
        if (config.token() == null) {
            throw notLoggedIn();
        }
        return config.token();
    }

    public static NixException notLoggedIn() {
        return new NixException(Kind.DENIED, "not logged in to FloxHub: run 'flox auth login' "
                + "(or set FLOX_FLOXHUB_TOKEN to a token from 'flox auth token')");
    }

    public HttpResponse<String> exchange(HttpRequest request, String what) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw unreachable(config.hubUrl(), e);
        } catch (IOException e) {
            if (e.getCause() instanceof ConnectException) {
                throw unreachable(config.hubUrl(), e);
            }
            throw new NixException(Kind.UNAVAILABLE, "FloxHub at " + config.hubUrl() + " failed during " + what
                    + ": " + e.getMessage() + "; try again", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NixException(Kind.UNAVAILABLE, "interrupted during " + what, e);
        }
    }

    public static NixException unreachable(String url, Exception cause) {
        return new NixException(Kind.UNAVAILABLE, "cannot reach FloxHub at " + url
                + " (connection refused): check that the hub is running, or set floxhub_url in flox.toml "
                + "(or FLOX_FLOXHUB_URL) to the right address", cause);
    }

    private NixException error(int status, JsonNode json, String raw) {
        String message = json != null && json.hasNonNull("error") ? json.get("error").asText()
                : raw == null || raw.isBlank() ? "HTTP " + status : raw.strip();
        if (json != null && json.hasNonNull("error_description")) {
            message = json.get("error_description").asText();
        }
        return switch (status) {
            case 401 -> new NixException(Kind.DENIED, "FloxHub refused the token" + source() + ": " + message
                    + "; run 'flox auth login' to get a new one");
            case 403 -> new NixException(Kind.DENIED, "FloxHub denied access: " + message);
            case 404 -> new NixException(Kind.NOT_FOUND, message);
            case 400, 409, 422 -> new NixException(Kind.INVALID, message);
            default -> new NixException(Kind.UNAVAILABLE, "FloxHub at " + config.hubUrl() + " failed (HTTP " + status
                    + "): " + message + "; try again later");
        };
    }

    private String source() {
        return config.tokenSource() == null ? "" : " (from " + config.tokenSource() + ")";
    }

    private static JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return JSON.nullNode();
        }
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    public static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    public static ObjectNode object() {
        return JSON.createObjectNode();
    }

    @Override
    public void close() {
        http.close();
    }
}
