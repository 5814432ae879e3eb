package org.imageless.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imageless.hub.device.DeviceCodes;
import org.imageless.hub.testing.RunningHub;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code flox auth}: device-code login stores a token the hub accepts; logout forgets it. */
class FloxAuthTest {

    @TempDir
    Path dir;

    @Test
    void loginWithADeviceCodeApprovedInTheBrowserStoresATokenTheHubAccepts() throws Exception {
        try (RunningHub hub = RunningHub.start(dir.resolve("hub"))) {
            hub.createUser("alice");
            FloxUser alice = new FloxUser("alice", dir.resolve("alice"), hub.url(), null);
            java.io.PipedOutputStream errPipe = new java.io.PipedOutputStream();
            java.io.PipedInputStream errIn = new java.io.PipedInputStream(errPipe, 1 << 16);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            CompletableFuture<Integer> login = CompletableFuture.supplyAsync(() -> {
                try (java.io.PrintStream e = new java.io.PrintStream(errPipe, true, "UTF-8");
                     java.io.PrintStream o = new java.io.PrintStream(out, true, "UTF-8")) {
                    return Flox.execute(alice.env, alice.home, o, e, "auth", "login");
                } catch (java.io.UnsupportedEncodingException ex) {
                    throw new IllegalStateException(ex);
                }
            });
            java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(errIn, "UTF-8"));
            String first = lines.readLine();
            Matcher m = Pattern.compile("Go to (\\S+) and confirm the code (\\S+)").matcher(first);
            assertThat(m.find()).as(first).isTrue();
            assertThat(m.group(1)).startsWith(hub.hub().publicUrl().toString().replaceAll("/+$", "") + "/device?code=");
            new DeviceCodes(hub.hub().database().jdbi(), hub.hub().tokens(), hub.hub().clock()).approve(m.group(2), "alice");
            assertThat(login.get(30, TimeUnit.SECONDS)).isZero();
            assertThat(lines.readLine()).contains("logged in to FloxHub as alice");

            String toml = Files.readString(alice.home.resolve(".config/flox/flox.toml"));
            assertThat(toml).contains("floxhub_token").contains("floxhub_url");
            String token = alice.flox("auth", "token").out().strip();
            assertThat(token).startsWith("flox_");
            assertThat(hub.call("GET", "/api/v1/whoami", token, null, 200).path("name").asText()).isEqualTo("alice");
            assertThat(alice.flox("auth", "status").out()).contains("as alice");

            assertThat(alice.flox("auth", "logout").code()).isZero();
            assertThat(Files.readString(alice.home.resolve(".config/flox/flox.toml"))).doesNotContain("floxhub_token")
                    .contains("floxhub_url");
            FloxUser.Result after = alice.flox("auth", "token");
            assertThat(after.code()).isEqualTo(6);
        }
    }

    @Test
    void theEnvironmentTokenWinsOverTheFileAndIsNamedWhenRefused() throws Exception {
        try (RunningHub hub = RunningHub.start(dir.resolve("hub"))) {
            String good = hub.createUser("alice");
            FloxUser u = new FloxUser("alice", dir.resolve("u"), hub.url(), good);
            u.env.put("FLOX_FLOXHUB_TOKEN", hub.revokedToken("alice"));
            FloxUser.Result r = u.flox("auth", "status");
            assertThat(r.code()).isEqualTo(6);
            assertThat(r.err()).contains("FLOX_FLOXHUB_TOKEN").contains("revoked").contains("flox auth login");
        }
    }
}
