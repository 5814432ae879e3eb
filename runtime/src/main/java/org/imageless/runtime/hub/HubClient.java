package org.imageless.runtime.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.imageless.environment.EnvironmentRef;
import org.imageless.nix.NixException;

/**
 * The two hub calls the runtime makes (contract C1 and C2): read a generation, report an
 * activation. With {@link HttpURLConnection}, which starts in a fraction of the time of
 * {@code java.net.http.HttpClient} — this runs once per container start. The token goes only into the Authorization header, never into
 * a message.
 */
public final class HubClient {

    private static final ObjectMapper JSON = org.imageless.runtime.Json.MAPPER;

    private final URI hubUrl;
    private final Optional<String> token;
    private final Duration timeout;
    private final java.util.List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();

    public HubClient(URI hubUrl, Optional<String> token, Duration timeout) {
        this.hubUrl = hubUrl;
        this.token = token;
        this.timeout = timeout;
    }

    public URI hubUrl() {
        return hubUrl;
    }

    /**
     * The hub's {@code Warning} headers so far, e.g. why it ignored an expired token for a public
     * environment (C1: {@code 299 floxhub "<why>"}); the text only, never the token.
     */
    public java.util.List<String> warnings() {
        return java.util.List.copyOf(warnings);
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
        Response resp = send("GET", uri, null);
        int status = resp.status();
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

    /** Whether {@code other} talks to the same hub with the same token (its reports may go in one request). */
    public boolean sameHubAndToken(HubClient other) {
        return hubUrl.equals(other.hubUrl) && token.equals(other.token);
    }

    /** {@code PUT /api/v1/events} with one activation report (or an array of them); true when the hub accepted it. */
    public boolean report(String eventJson) {
        return send("PUT", hubUrl.resolve("/api/v1/events"), eventJson).status() / 100 == 2;
    }

    private record Response(int status, String body) {}

    private Response send(String method, URI uri, String body) {
        try {
            HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
            c.setRequestMethod(method);
            c.setConnectTimeout((int) timeout.toMillis());
            c.setReadTimeout((int) timeout.toMillis());
            c.setInstanceFollowRedirects(true);
            c.setRequestProperty("Accept", "application/json");
            if (token.isPresent()) {
                c.setRequestProperty("Authorization", "bearer " + token.get());
            }
            if (body != null) {
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json");
                try (OutputStream out = c.getOutputStream()) {
                    out.write(body.getBytes(StandardCharsets.UTF_8));
                }
            }
            int status = c.getResponseCode();
            String warning = c.getHeaderField("Warning");
            if (warning != null) {
                int quote = warning.indexOf('"');
                warnings.add(quote >= 0 && warning.endsWith("\"") ? warning.substring(quote + 1, warning.length() - 1) : warning);
            }
            String text = "";
            try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                if (in != null) {
                    text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
            return new Response(status, text);
        } catch (IOException e) {
            throw new NixException(NixException.Kind.UNAVAILABLE, "cannot reach the hub at " + hubUrl + " ("
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")", e);
        }
        // no disconnect(): a body read to its end and closed returns the connection to the JDK's
        // keep-alive cache, so the resident daemon asks the hub without a new TCP (and TLS) handshake
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
