package org.imageless.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.imageless.cli.Config;
import org.imageless.cli.HubClient;
import org.imageless.nix.NixException;
import org.imageless.nix.NixException.Kind;
import picocli.CommandLine.Command;

/** {@code flox auth login|logout|status|token}. */
@Command(name = "auth", description = "FloxHub authentication.",
        subcommands = {AuthCommands.Login.class, AuthCommands.Logout.class, AuthCommands.Status.class, AuthCommands.Token.class})
public final class AuthCommands {

    @Command(name = "login", description = "Log in to FloxHub (device code: confirm in the browser).")
    public static final class Login extends FloxCommand {
        @Override
        protected void run() throws Exception {
            HubClient hub = session().hub();
            JsonNode code = hub.post("/api/v1/auth/device/code",
                    HubClient.object().put("client_name", "flox CLI on " + session().hostname()));
            String deviceCode = code.path("device_code").asText();
            session().err().printf("Go to %s and confirm the code %s%n",
                    code.path("verification_uri_complete").asText(code.path("verification_uri").asText()),
                    code.path("user_code").asText());
            long interval = Math.max(1, code.path("interval").asLong(5));
            long deadline = System.nanoTime() + Duration.ofSeconds(code.path("expires_in").asLong(600)).toNanos();
            while (System.nanoTime() < deadline) {
                Thread.sleep(Duration.ofSeconds(interval));
                ObjectNode body = HubClient.object().put("device_code", deviceCode);
                HttpResponse<String> r = hub.exchange(HttpRequest.newBuilder(URI.create(hub.url() + "/api/v1/auth/device/token"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), "polling for the login");
                JsonNode json = HubClient.JSON.readTree(r.body().isBlank() ? "{}" : r.body());
                if (r.statusCode() == 200) {
                    session().config().writeKey("floxhub_token", json.path("access_token").asText());
                    session().reloadConfig();
                    session().err().printf("✅ logged in to FloxHub as %s (token stored in %s)%n",
                            json.path("user").asText(), session().config().file());
                    return;
                }
                String error = json.path("error").asText();
                switch (error) {
                    case "authorization_pending" -> { }
                    case "slow_down" -> interval += 5;
                    case "access_denied" -> throw new NixException(Kind.DENIED, "the login was denied in the browser; "
                            + "run 'flox auth login' again to retry");
                    case "expired_token" -> throw new NixException(Kind.DENIED, "the login code expired before it was "
                            + "confirmed; run 'flox auth login' again");
                    default -> throw new NixException(Kind.UNAVAILABLE, "FloxHub answered the login poll with HTTP "
                            + r.statusCode() + ": " + json.path("error_description").asText(r.body()));
                }
            }
            throw new NixException(Kind.DENIED, "the login code expired before it was confirmed; run 'flox auth login' again");
        }
    }

    @Command(name = "logout", description = "Forget the FloxHub token.")
    public static final class Logout extends FloxCommand {
        @Override
        protected void run() {
            Config c = session().config();
            c.writeKey("floxhub_token", null);
            session().err().println("✅ logged out of FloxHub (token removed from " + c.file() + ")"
                    + ("FLOX_FLOXHUB_TOKEN".equals(c.tokenSource()) ? "; FLOX_FLOXHUB_TOKEN is still set in your shell" : ""));
        }
    }

    @Command(name = "status", description = "Show whom you are logged in to FloxHub as.")
    public static final class Status extends FloxCommand {
        @Override
        protected void run() {
            if (session().config().token() == null) {
                throw HubClient.notLoggedIn();
            }
            JsonNode me = session().hub().send("GET", "/api/v1/whoami", null, true);
            session().out().printf("logged in to %s as %s (%s)%n", session().config().hubUrl(), me.path("name").asText(),
                    me.path("kind").asText());
            for (JsonNode m : me.path("memberships")) {
                session().out().printf("  %s: %s%n", m.path("org").asText(), m.path("role").asText());
            }
        }
    }

    @Command(name = "token", description = "Print the FloxHub token (for scripts and Kubernetes secrets).")
    public static final class Token extends FloxCommand {
        @Override
        protected void run() {
            session().out().println(session().hub().requireToken());
        }
    }
}
