package org.imageless.hub.activation;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.imageless.environment.activation.ActivationMode;
import org.imageless.hub.account.Role;
import org.imageless.hub.auth.Visibility;
import org.imageless.hub.testing.Backend;
import org.imageless.hub.testing.MutableClock;
import org.imageless.hub.web.WebTestHub;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code PUT /api/v1/events} (contract C2) and the "running now" answer built from the reports. */
class ActivationReportsTest {

    @TempDir
    Path tmp;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T06:00:00Z"));
    private WebTestHub hub;
    private String alice;
    private Activations activations;

    private void start(Backend backend) {
        hub = WebTestHub.start(tmp, backend, clock);
        alice = hub.createUser("alice");
        hub.pushGeneration("alice", "web", WebTestHub.MANIFEST, WebTestHub.LOCK, alice);
        hub.pushGeneration("alice", "web", WebTestHub.MANIFEST, null, alice);
        activations = new Activations(hub.hub.database().jdbi(), clock);
    }

    @AfterEach
    void stop() {
        if (hub != null) {
            hub.close();
        }
    }

    private static String report(int generation, String pod, String container, String time) {
        return """
                {"environment":"alice/web","generation":%d,"node":"node-1","namespace":"default","pod":"%s","container":"%s","mode":"run","time":"%s"}"""
                .formatted(generation, pod, container, time);
    }

    private HttpResponse<String> put(String token, String body) {
        return hub.json("PUT", "/api/v1/events", token, body);
    }

    @Test
    void acceptsOneReportOrAnArrayAndAnswersWhereEachGenerationRunsNow() {
        start(Backend.SQLITE);
        HttpResponse<String> one = put(alice, report(1, "web-0", "app", "2026-11-22T05:00:00Z"));
        assertThat(one.statusCode()).as(one.body()).isEqualTo(202);
        assertThat(one.body()).isEqualTo("{\"accepted\":1}");
        HttpResponse<String> many = put(alice, "[" + report(2, "web-1", "app", "2026-11-22T05:10:00Z") + ","
                + report(2, "web-1", "sidecar", "2026-11-22T05:10:01Z") + "]");
        assertThat(many.statusCode()).as(many.body()).isEqualTo(202);
        assertThat(many.body()).isEqualTo("{\"accepted\":2}");

        List<Running> running = activations.running("alice", "web");
        assertThat(running).extracting(Running::generation, Running::pod, Running::container)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(2, "web-1", "app"),
                        org.assertj.core.groups.Tuple.tuple(2, "web-1", "sidecar"),
                        org.assertj.core.groups.Tuple.tuple(1, "web-0", "app"));
        assertThat(running.getFirst().mode()).isEqualTo(ActivationMode.RUN);
        assertThat(running.getFirst().activatedAt()).isEqualTo(Instant.parse("2026-11-22T05:10:00Z"));
        assertThat(running.getFirst().reporter()).isEqualTo("alice");
    }

    @Test
    void aNewerReportForTheSameContainerReplacesTheOlderOneEvenWhenTheOlderArrivesLate() {
        start(Backend.SQLITE);
        assertThat(put(alice, report(2, "web-0", "app", "2026-11-22T05:30:00Z")).statusCode()).isEqualTo(202);
        assertThat(put(alice, report(1, "web-0", "app", "2026-11-22T05:00:00Z")).statusCode()).isEqualTo(202);
        assertThat(activations.running("alice", "web")).extracting(Running::generation).containsExactly(2);
    }

    @Test
    void aContainerNotReportedWithinTheWindowIsNoLongerRunningNow() {
        start(Backend.SQLITE);
        assertThat(put(alice, report(1, "web-0", "app", "2026-11-22T05:00:00Z")).statusCode()).isEqualTo(202);
        clock.advance(Activations.WINDOW.minus(Duration.ofHours(2)));
        assertThat(activations.running("alice", "web")).hasSize(1);
        clock.advance(Duration.ofHours(2));
        assertThat(activations.running("alice", "web")).isEmpty();
    }

    @Test
    void badReportsAreRejectedWithA400NamingTheFieldAndNothingIsStored() {
        start(Backend.SQLITE);
        String good = report(1, "web-0", "app", "2026-11-22T05:00:00Z");
        assertRejected(good.replace("\"node\":\"node-1\",", ""), "node is missing");
        assertRejected(good.replace("\"mode\":\"run\"", "\"mode\":\"fast\""), "activation mode 'fast': expected 'run' or 'dev'");
        assertRejected(good.replace("2026-11-22T05:00:00Z", "yesterday"), "time 'yesterday' is not an ISO-8601 UTC time");
        assertRejected(good.replace("2026-11-22T05:00:00Z", "2026-11-22T07:00:00Z"), "ahead of the hub's clock");
        assertRejected(good.replace("\"generation\":1", "\"generation\":0"), "generations start at 1");
        assertRejected(good.replace("\"generation\":1", "\"generation\":\"1\""), "generation is \\\"1\\\": expected a positive integer");
        assertRejected(good.replace("}", ",\"image\":\"x\"}"), "unknown field 'image'");
        assertRejected(good.replace("alice/web", "alice"), "has no '/'");
        assertRejected(good.replace("\"pod\":\"web-0\"", "\"pod\":\"web 0\""), "pod 'web 0' is not a Kubernetes name");
        assertRejected("not json", "the body is not JSON");
        assertRejected("[]", "the array of reports is empty");
        assertRejected("[" + good + "," + good.replace("\"container\":\"app\",", "") + "]", "report 1: container is missing");
        assertThat(activations.running("alice", "web")).isEmpty();
    }

    private void assertRejected(String body, String message) {
        HttpResponse<String> r = put(alice, body);
        assertThat(r.statusCode()).as(body).isEqualTo(400);
        assertThat(r.body()).as(body).contains(message).contains("\"kind\":\"invalid\"");
    }

    @Test
    void aReportForAnUnknownEnvironmentOrGenerationIs404() {
        start(Backend.SQLITE);
        HttpResponse<String> env = put(alice, report(1, "p", "c", "2026-11-22T05:00:00Z").replace("alice/web", "alice/nope"));
        assertThat(env.statusCode()).isEqualTo(404);
        assertThat(env.body()).contains("environment 'alice/nope' does not exist");
        HttpResponse<String> gen = put(alice, report(9, "p", "c", "2026-11-22T05:00:00Z"));
        assertThat(gen.statusCode()).isEqualTo(404);
        assertThat(gen.body()).contains("has no generation 9 (it has 1..2)");
    }

    @Test
    void reportsNeedReadAccessAnonymousForPublicMembersForPrivate() {
        start(Backend.SQLITE);
        String bob = hub.createUser("bob");
        String rita = hub.createUser("rita");
        hub.hub.accounts().createOrg("acme");
        hub.hub.accounts().addMember("acme", "alice", Role.WRITER);
        hub.hub.accounts().addMember("acme", "rita", Role.READER);
        hub.pushGeneration("acme", "api", WebTestHub.MANIFEST, WebTestHub.LOCK, alice);
        String body = report(1, "api-0", "app", "2026-11-22T05:00:00Z").replace("alice/web", "acme/api");

        assertThat(put(null, body).statusCode()).as("anonymous, public").isEqualTo(202);
        hub.hub.environments().setVisibility("acme", "api", Visibility.PRIVATE);
        HttpResponse<String> anonymous = put(null, body);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.body()).contains("sign in");
        HttpResponse<String> stranger = put(bob, body);
        assertThat(stranger.statusCode()).isEqualTo(403);
        assertThat(stranger.body()).contains("bob may not read private environments of 'acme'");
        assertThat(put(rita, body).statusCode()).as("reader").isEqualTo(202);
    }

    @Test
    void reportsAreStoredAndReplacedOnPostgresqlToo() {
        start(Backend.POSTGRESQL);
        assertThat(put(alice, report(1, "web-0", "app", "2026-11-22T05:00:00Z")).statusCode()).isEqualTo(202);
        assertThat(put(alice, report(2, "web-0", "app", "2026-11-22T05:30:00Z")).statusCode()).isEqualTo(202);
        assertThat(put(alice, report(1, "web-0", "app", "2026-11-22T05:10:00Z")).statusCode()).isEqualTo(202);
        assertThat(activations.running("alice", "web")).extracting(Running::generation).containsExactly(2);
    }
}
