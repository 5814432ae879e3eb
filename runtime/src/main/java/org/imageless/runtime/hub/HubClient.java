package org.imageless.runtime.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.imageless.environment.EnvironmentRef;
import org.imageless.nix.NixException;

/**
 * The two hub calls the runtime makes (contract C1 and C2), with the JDK's HTTP client: read a
 * generation, report an activation. The token goes only into the Authorization header, never into
 * a message.
 */
public final class HubClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI hubUrl;
    private final Optional<String> token;
    private final HttpClient http;
    private final Duration timeout;

    public HubClient(URI hubUrl, Optional<String> token, Duration timeout) {
        this.hubUrl = hubUrl;
        this.token = token;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    public URI hubUrl() {
        return hubUrl;
    }

    /**
     * {@code GET /api/v1/environments/{owner}/{name}/generations/{n|live}}: the response body as
     * text (kept as the node's record of what it resolved).
     *
     * @throws NixException NOT_FOUND (404), DENIED (401, 403), UNAVAILABLE (cannot connect, 5xx)
     *     with the hub's own message and what to do
     */
    public String generation(EnvironmentRef ref) {
        String which = ref.generation().isPresent() ? String.valueOf(ref.generation().getAsInt()) : "live";
        URI uri = hubUrl.resolve("/api/v1/environments/" + enc(ref.owner()) + "/" + enc(ref.name()) + "/generations/" + which);
        HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(timeout).GET().header("Accept", "application/json");
        token.ifPresent(t -> req.header("Authorization", "bearer " + t));
        HttpResponse<String> resp = send(req.build());
        int status = resp.statusCode();
        if (status == 200) {
            return resp.body();
        }
        String hubMessage = errorMessage(resp.body()).orElse("HTTP " + status);
        throw switch (status) {
            case 404 -> new NixException(NixException.Kind.NOT_FOUND, "the hub has no " + ref + ": " + hubMessage
                    + ". Fix the flox.dev/environment annotation (owner/name[:generation]; 'flox generations -r "
                    + ref.description() + "' lists the generations)");
            case 401 -> new NixException(NixException.Kind.DENIED, "the hub refused " + ref.description() + ": "
                    + hubMessage + ". " + (token.isPresent()
                    ? "Replace the token (a new one from 'flox auth login' or a service-account token) in the pod's "
                    + "secret mounted at /var/run/secrets/flox.dev (file floxhub-token) or the node's token_file"
                    : "It is private: mount a secret with a hub token at /var/run/secrets/flox.dev (file floxhub-token), "
                    + "or set token_file in node.toml"));
            case 403 -> new NixException(NixException.Kind.DENIED, "the hub refused " + ref.description() + ": "
                    + hubMessage + ". Use a token of a member of '" + ref.owner() + "', or ask an owner of '"
                    + ref.owner() + "' to add the token's user");
            default -> new NixException(NixException.Kind.UNAVAILABLE, "the hub at " + hubUrl + " answered " + status
                    + " for " + ref + ": " + hubMessage);
        };
    }

    /** {@code PUT /api/v1/events} with one activation report; true when the hub accepted it. */
    public boolean report(String eventJson) {
        HttpRequest.Builder req = HttpRequest.newBuilder(hubUrl.resolve("/api/v1/events")).timeout(timeout)
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(eventJson));
        token.ifPresent(t -> req.header("Authorization", "bearer " + t));
        return send(req.build()).statusCode() / 100 == 2;
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new NixException(NixException.Kind.UNAVAILABLE, "cannot reach the hub at " + hubUrl + " ("
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NixException(NixException.Kind.UNAVAILABLE, "interrupted while asking the hub at " + hubUrl, e);
        }
    }

    private static Optional<String> errorMessage(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            return n != null && n.hasNonNull("error") ? Optional.of(n.get("error").asText()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
