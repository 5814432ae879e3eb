package org.imageless.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.imageless.e2e.testing.Pods.container;
import static org.imageless.e2e.testing.Pods.pod;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.imageless.e2e.testing.Pods;
import org.imageless.e2e.testing.World;
import org.imageless.e2e.testing.WorldExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every error a user can get from a flox pod, as kubelet gets it: the CRI error of the pod's start,
 * carrying flox-container-runtime's message (cause and fix) verbatim.
 */
@ExtendWith(WorldExtension.class)
class FloxPodErrorsTest {

    private static final String ENV = "flox.dev/environment";

    private static String failure(World w, String yaml) {
        return w.failure(yaml).getMessage();
    }

    private static String simplePod(String name, String handler, Map<String, String> annotations) {
        return pod(name, handler, annotations, container("app", "sh", "-c", "echo should-not-run"));
    }

    @Test
    void aFloxPodWithoutEnvironmentAnnotationIsRefusedSayingWhatToSet(World w) {
        assertThat(failure(w, simplePod("no-env", "flox", Map.of())))
                .contains("has no flox.dev/environment annotation")
                .contains("owner/name");
    }

    @Test
    void aMalformedEnvironmentAnnotationIsRefusedSayingTheExpectedForm(World w) {
        assertThat(failure(w, simplePod("bad-env", "flox", Map.of(ENV, "just-a-name"))))
                .contains("annotation flox.dev/environment=").contains("just-a-name").contains("is invalid");
    }

    @Test
    void anUnknownOwnerIsRefusedWithTheHubsAnswer(World w) {
        assertThat(failure(w, simplePod("no-owner", "flox", Map.of(ENV, "nobody/web"))))
                .contains("the hub has no nobody/web")
                .contains("Fix the flox.dev/environment annotation");
    }

    @Test
    void anUnknownEnvironmentIsRefusedWithTheHubsAnswer(World w) {
        assertThat(failure(w, simplePod("no-such-env", "flox", Map.of(ENV, "acme/does-not-exist"))))
                .contains("the hub has no acme/does-not-exist")
                .contains("Fix the flox.dev/environment annotation");
    }

    @Test
    void aGenerationThatDoesNotExistIsRefusedNamingHowToListThem(World w) {
        w.push("onegen", List.of("busybox"), Map.of(), null);
        assertThat(failure(w, simplePod("no-gen", "flox", Map.of(ENV, "acme/onegen:7"))))
                .contains("the hub has no acme/onegen")
                .contains("7")
                .contains("flox generations");
    }

    @Test
    void aPrivateEnvironmentWithoutTokenIsRefusedSayingWhereToMountOne(World w) {
        privateEnvironment(w, "private-err");
        assertThat(failure(w, simplePod("private-no-token", "flox", Map.of(ENV, "acme/private-err"))))
                .contains("the hub refused acme/private-err")
                .contains("/var/run/secrets/flox.dev").contains("floxhub-token");
    }

    @Test
    void anExpiredTokenIsRefusedSayingItExpiredAndToReplaceIt(World w) throws IOException {
        privateEnvironment(w, "private-err");
        String message = w.failure(Pods.tokenPod("expired-token", "acme/private-err", "sh", "-c", "true"),
                Map.of(Pods.TOKEN_SECRET, tokenDir(w, "expired", w.hub.expiredToken("alice")))).getMessage();
        assertThat(message).contains("the hub refused acme/private-err").contains("expired").contains("Replace the token");
    }

    @Test
    void aRevokedTokenIsRefusedSayingItWasRevokedAndToReplaceIt(World w) throws IOException {
        privateEnvironment(w, "private-err");
        String token = w.hub.revokedToken("alice");
        String message = w.failure(Pods.tokenPod("revoked-token", "acme/private-err", "sh", "-c", "true"),
                Map.of(Pods.TOKEN_SECRET, tokenDir(w, "revoked", token))).getMessage();
        assertThat(message).contains("the hub refused acme/private-err").contains("revoked").contains("Replace the token")
                .doesNotContain(token);
    }

    @Test
    void anEnvironmentWithoutPackagesForTheNodesSystemIsRefusedNamingTheSystems(World w) {
        w.push("maconly", List.of("mactool"), Map.of(), null, "aarch64-darwin");
        assertThat(failure(w, simplePod("mac-only", "flox", Map.of(ENV, "acme/maconly"))))
                .contains("has no packages for this node's system x86_64-linux")
                .contains("aarch64-darwin");
    }

    @Test
    void aCommandNotInTheEnvironmentIsRefusedNamingThePackagesCommands(World w) {
        w.push("toolsonly", List.of("tools"), Map.of(), null);
        assertThat(failure(w, pod("no-command", "flox", Map.of(ENV, "acme/toolsonly"), container("app", "echoip"))))
                .contains("command 'echoip' is not in environment acme/toolsonly")
                .contains("tools").contains("hello-tools")
                .contains("Set the pod's 'command'");
    }

    @Test
    void anUnreachableHubWithNothingCachedIsRefusedSayingToCheckHubUrl(World w) {
        assertThat(failure(w, simplePod("no-hub", "flox-nohub", Map.of(ENV, "acme/echoip"))))
                .contains("cannot reach the hub at http://127.0.0.1:1")
                .contains("never resolved acme/echoip")
                .contains("check hub_url");
    }

    @Test
    void aCacheSignedByAnUntrustedKeyIsRefusedAndNothingIsStored(World w) {
        w.push("signed", List.of("busybox"), Map.of(), null);
        assertThat(failure(w, simplePod("wrong-key", "flox-wrongkey", Map.of(ENV, "acme/signed"))))
                .contains("cannot realise the packages of acme/signed")
                .contains("trusted");
        assertThat(World.storeEntries(w.wrongKey)).noneMatch(e -> e.endsWith("-busybox-1.36.1"));
    }

    @Test
    void aNarDamagedInTheHubsCacheIsRefusedAndNothingIsStored(World w) throws Exception {
        String damaged = w.nix.build("""
                derivation {
                  name = "damaged-1.0"; system = "x86_64-linux"; builder = "/bin/sh";
                  args = [ "-c" "/bin/busybox mkdir -p $out/share && /bin/busybox seq 1 20000 > $out/share/numbers" ];
                }
                """);
        w.uploadAndPublish("damaged", damaged);
        w.push("damaged", List.of("damaged"), Map.of(), null);
        // flip one byte in the middle of the NAR file on the hub's disk (uploaded uncompressed)
        String hash = damaged.substring("/nix/store/".length(), "/nix/store/".length() + 32);
        String narinfo = w.httpGet("/cache/" + hash + ".narinfo");
        String file = narinfo.lines().filter(l -> l.startsWith("URL: ")).findFirst().orElseThrow().substring("URL: nar/".length());
        Path nar;
        try (var files = Files.walk(w.dir.resolve("hub"))) {
            nar = files.filter(p -> p.getFileName().toString().equals(file)).findFirst()
                    .orElseThrow(() -> new AssertionError("the hub's NAR file " + file + " is not under " + w.dir.resolve("hub")));
        }
        byte[] bytes = Files.readAllBytes(nar);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(nar, bytes);

        assertThat(failure(w, simplePod("damaged-nar", "flox", Map.of(ENV, "acme/damaged"))))
                .contains("cannot realise the packages of acme/damaged")
                .contains("does not match");
        assertThat(World.storeEntries(w.main)).doesNotContain(damaged.substring("/nix/store/".length()));
    }

    @Test
    void badValuesOfTheOtherAnnotationsAreRefusedNamingTheAnnotation(World w) {
        w.push("annotated", List.of("busybox"), Map.of(), null);
        assertThat(failure(w, simplePod("bad-mode", "flox", Map.of(ENV, "acme/annotated", "flox.dev/activate-mode", "fast"))))
                .contains("annotation flox.dev/activate-mode=").contains("fast").contains("dev");
        assertThat(failure(w, simplePod("bad-mutable", "flox", Map.of(ENV, "acme/annotated", "flox.dev/nix-mutable", "yes"))))
                .contains("annotation flox.dev/nix-mutable=").contains("yes");
        assertThat(failure(w, simplePod("bad-skip", "flox", Map.of(ENV, "acme/annotated", "flox.dev/skip-containers", "Not A Name"))))
                .contains("annotation flox.dev/skip-containers=");
        assertThat(failure(w, simplePod("typo", "flox", Map.of(ENV, "acme/annotated", "flox.dev/activate-mod", "dev"))))
                .contains("unknown annotation 'flox.dev/activate-mod'");
    }

    /** acme/{name}, private (created on first use). */
    private static void privateEnvironment(World w, String name) {
        if (w.hub.hub().environments().find("acme", name).isEmpty()) {
            w.push(name, List.of("busybox"), Map.of(), null);
            w.hub.setVisibility("acme", name, "private", w.alice);
        }
    }

    private static Path tokenDir(World w, String name, String token) throws IOException {
        Path dir = Files.createDirectories(w.dir.resolve("secrets/" + name));
        Files.writeString(dir.resolve("floxhub-token"), token);
        return dir;
    }
}
