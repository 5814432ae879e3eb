package org.imageless.hub;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.imageless.hub.account.Passwords;
import org.imageless.hub.auth.Expiry;
import org.imageless.hub.server.HubServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The workload {@code make build} runs once with {@code -XX:AOTCacheOutput}: opens a hub in a
 * temporary directory (migrations, key), creates an account and a token, serves a few requests.
 * Hidden: not for operators.
 */
@Command(name = "aot-training", hidden = true, description = "Exercise the hub for the JDK's AOT cache.")
final class AotTraining implements Callable<Integer> {

    @Override
    public Integer call() throws IOException, InterruptedException {
        Path work = Files.createTempDirectory("floxhub-aot-");
        try (Hub hub = Hub.open(new HubConfig(work, Optional.empty(), HubConfig.DEFAULT_PUBLIC_URL), Clock.systemUTC(),
                new Passwords(1000))) {
            hub.accounts().createUser("aot", "training-password".toCharArray());
            String token = hub.tokens().createPersonal("aot", "aot", Expiry.parse("1d")).secret();
            try (HubServer server = HubServer.start(hub, "127.0.0.1", 0, List.of());
                 HttpClient http = HttpClient.newHttpClient()) {
                for (String path : List.of("/healthz", "/api/v1/whoami", "/api/v1/owners/aot", "/metrics")) {
                    http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                            .header("Authorization", "bearer " + token).build(), HttpResponse.BodyHandlers.discarding());
                }
            }
            new CommandLine(new FloxHub()).getUsageMessage();
            return 0;
        } finally {
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
