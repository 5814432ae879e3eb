package org.imageless.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.imageless.runtime.testing.Bundles;
import org.imageless.runtime.testing.Launcher;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's argument handling, with a fake runc and a fake java that record their argv: what
 * goes to runc unchanged, when the JVM runs, what it is given, and that nothing is ever written to
 * the container's stdout or stderr.
 */
class LauncherTest {

    @TempDir
    Path tmp;
    Path runcArgs;
    Path javaArgs;
    Path state;
    Path fakeJava;
    Launcher launcher;

    /** The shell the launcher runs with: the one make build picks ({@link LauncherWithShTest} runs all of this with sh). */
    String shell() {
        return Launcher.SHELL;
    }

    static Path script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    @BeforeEach
    void fakes() throws IOException {
        runcArgs = tmp.resolve("runc.args");
        javaArgs = tmp.resolve("java.args");
        state = tmp.resolve("state");
        Path runc = script(tmp.resolve("runc"), "for a in \"$@\"; do printf '%s\\n' \"$a\"; done >> " + runcArgs
                + "\necho '--' >> " + runcArgs + "\ncase \"$*\" in *state*) exit 1 ;; esac\nexit 0");
        fakeJava = script(tmp.resolve("java"), "shift 0\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done >> " + javaArgs
                + "\nexit ${FAKE_JAVA_EXIT:-0}");
        Path config = Files.writeString(tmp.resolve("node.toml"), "hub_url = \"http://127.0.0.1:9\"\nruntime_unused = 1\n"
                + "state_dir = \"" + state + "\"\nrunc = '" + runc + "'  # the fake\n");
        launcher = Launcher.write(tmp.resolve("bin"), fakeJava.toString(), config, shell());
    }

    List<String> runcCalls() throws IOException {
        return Files.exists(runcArgs) ? Files.readAllLines(runcArgs) : List.of();
    }

    /** The arguments the Java main got (after the JVM options and the class name). */
    List<String> javaCall() throws IOException {
        if (!Files.exists(javaArgs)) {
            return List.of();
        }
        List<String> all = Files.readAllLines(javaArgs);
        return all.subList(all.indexOf("org.imageless.runtime.ContainerRuntime") + 1, all.size());
    }

    @Test
    void otherSubcommandsGoStraightToRuncWithTheirArgumentsAndNoJvm() throws Exception {
        Launcher.Run r = launcher.run(tmp, "--root", "/run/r", "--log", tmp + "/log.json", "--log-format", "json",
                "--systemd-cgroup", "start", "abc");
        assertThat(r.exitCode()).isZero();
        assertThat(runcCalls()).containsExactly("--root", "/run/r", "--log", tmp + "/log.json", "--log-format", "json",
                "--systemd-cgroup", "start", "abc", "--");
        assertThat(javaCall()).isEmpty();
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).isEmpty();
    }

    @Test
    void createRunsJavaOnTheBundleThenRuncWithTheOriginalArguments() throws Exception {
        Path bundle = Bundles.write(tmp.resolve("b1"), List.of("sh"), Bundles.container("app", Map.of()), List.of());
        Launcher.Run r = launcher.run(tmp, "--root", "/run/r", "--log", "/l.json", "--log-format", "json", "create",
                "--bundle", bundle.toString(), "--pid-file", "/p.pid", "--console-socket", "/s.sock", "cid-1");
        assertThat(r.exitCode()).isZero();
        assertThat(javaCall()).containsExactly("create", "/l.json", bundle.toString(), "cid-1");
        assertThat(runcCalls()).containsExactly("--root", "/run/r", "--log", "/l.json", "--log-format", "json", "create",
                "--bundle", bundle.toString(), "--pid-file", "/p.pid", "--console-socket", "/s.sock", "cid-1", "--");
        assertThat(r.stdout() + r.stderr()).isEmpty();
    }

    @Test
    void createAcceptsRuncsOtherSpellingsOfTheBundle() throws Exception {
        Path bundle = Bundles.write(tmp.resolve("b1"), List.of("sh"), Bundles.container("app", Map.of()), List.of());
        launcher.run(tmp, "--log=/l.json", "create", "-b", bundle.toString(), "id1");
        launcher.run(tmp, "-log", "/l.json", "run", "--bundle=" + bundle, "--detach", "id2");
        assertThat(Files.readAllLines(javaArgs)).containsSubsequence("create", "/l.json", bundle.toString(), "id1")
                .containsSubsequence("create", "/l.json", bundle.toString(), "id2");
    }

    @Test
    void aCreateTheDaemonWroteAheadGoesStraightToRuncWhileItsConfigIsTheFileWritten() throws Exception {
        // as the daemon leaves a bundle it wrote ahead (Create.Ahead#writeAhead): config.json linked as flox-prepared.json
        Path bundle = Bundles.write(tmp.resolve("cid-7"), List.of("sh"), Bundles.container("app", Map.of()), List.of());
        Files.createLink(bundle.resolve(Create.PREPARED), bundle.resolve("config.json"));
        Launcher.Run r = launcher.run(tmp, "--log", "/l.json", "create", "--bundle", bundle.toString(), "--pid-file", "/p.pid", "cid-7");
        assertThat(r.exitCode()).isZero();
        assertThat(javaCall()).isEmpty();
        assertThat(runcCalls()).containsExactly("--log", "/l.json", "create", "--bundle", bundle.toString(), "--pid-file", "/p.pid", "cid-7", "--");
        assertThat(r.stdout() + r.stderr()).isEmpty();

        // another ID than the bundle's name (not containerd's way): prepared as usual
        launcher.run(tmp, "--log", "/l.json", "create", "--bundle", bundle.toString(), "other");
        assertThat(javaCall()).containsExactly("create", "/l.json", bundle.toString(), "other");

        // config.json replaced since (not the file the daemon wrote): prepared as usual
        Files.delete(javaArgs);
        String text = Files.readString(bundle.resolve("config.json"));
        Files.delete(bundle.resolve("config.json"));
        Files.writeString(bundle.resolve("config.json"), text);
        launcher.run(tmp, "--log", "/l.json", "create", "--bundle", bundle.toString(), "cid-7");
        assertThat(javaCall()).containsExactly("create", "/l.json", bundle.toString(), "cid-7");
    }

    @Test
    void theSandboxNeverStartsAJvm() throws Exception {
        Path bundle = Bundles.write(tmp.resolve("pause"), List.of("/pause"),
                Map.of("io.kubernetes.cri.container-type", "sandbox"), List.of());
        Launcher.Run r = launcher.run(tmp, "--log", "/l.json", "create", "--bundle", bundle.toString(), "sb");
        assertThat(r.exitCode()).isZero();
        assertThat(javaCall()).isEmpty();
        assertThat(runcCalls()).contains("sb");
    }

    @Test
    void execRunsJavaOnlyForAContainerWithARecordedActivation() throws Exception {
        launcher.run(tmp, "--log", "/l.json", "exec", "--process", "/p.json", "--detach", "cid");
        assertThat(javaCall()).isEmpty();
        assertThat(runcCalls()).containsExactly("--log", "/l.json", "exec", "--process", "/p.json", "--detach", "cid", "--");

        Files.createDirectories(state.resolve("containers/cid"));
        Files.writeString(state.resolve("containers/cid/activation.json"), "{}");
        Launcher.Run r = launcher.run(tmp, "--log", "/l.json", "exec", "--pid-file", "/x", "-p", "/p.json", "cid");
        assertThat(r.exitCode()).isZero();
        assertThat(javaCall()).containsExactly("exec", "/l.json", state.resolve("containers/cid/activation.json").toString(), "/p.json");
        assertThat(runcCalls()).endsWith("--log", "/l.json", "exec", "--pid-file", "/x", "-p", "/p.json", "cid", "--");
    }

    @Test
    void deleteRemovesTheContainersStateAfterRuncDeletedIt() throws Exception {
        for (String d : List.of("containers/cid/store", "mutable/cid/upper", "roots")) {
            Files.createDirectories(state.resolve(d));
        }
        Files.writeString(state.resolve("roots/cid"), "/nix/store/x");
        Files.createDirectories(state.resolve("containers/other"));
        Launcher.Run r = launcher.run(tmp, "--root", "/run/r", "delete", "--force", "cid");
        assertThat(r.exitCode()).isZero();
        assertThat(runcCalls()).startsWith("--root", "/run/r", "delete", "--force", "cid", "--");
        assertThat(state.resolve("containers/cid")).doesNotExist();
        assertThat(state.resolve("mutable/cid")).doesNotExist();
        assertThat(state.resolve("roots/cid")).doesNotExist();
        assertThat(state.resolve("containers/other")).exists();
    }

    @Test
    void aMissingRuncIsAnErrorInTheLogNotOnStderr() throws Exception {
        Path config = Files.writeString(tmp.resolve("node2.toml"), "state_dir = \"" + state + "\"\nrunc = \"/nonexistent/runc\"\n");
        Launcher l = Launcher.write(tmp.resolve("bin3"), fakeJava.toString(), config, shell());
        Path log = tmp.resolve("log.json");
        Launcher.Run r = l.run(tmp, "--log", log.toString(), "state", "abc");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.stdout() + r.stderr()).isEmpty();
        assertThat(Files.readString(log)).contains("\"level\":\"error\"").contains("the real runc '/nonexistent/runc' was not found");
    }

    @Test
    void withoutALogFileErrorsGoToTheStateDirectoryNeverToStderr() throws Exception {
        Path config = Files.writeString(tmp.resolve("node3.toml"), "state_dir = \"" + tmp.resolve("nowhere/deeper") + "\"\nrunc = \"/nonexistent/runc\"\n");
        Launcher l = Launcher.write(tmp.resolve("bin4"), fakeJava.toString(), config, shell());
        Launcher.Run r = l.run(tmp, "state", "abc");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.stdout() + r.stderr()).isEmpty();
    }

    @Test
    void aFailureOfTheJavaPartStopsBeforeRuncAndWritesOneJsonLineToTheLog() throws Exception {
        Path bundle = Bundles.write(tmp.resolve("b1"), List.of("sh"), Bundles.container("app", Map.of()), List.of());
        Path log = tmp.resolve("log.json");
        Path crashing = script(tmp.resolve("crash-java"), "echo 'Error: could not \"find\" class' >&2\nexit 134");
        Launcher l = Launcher.write(tmp.resolve("bin2"), crashing.toString(), tmp.resolve("node.toml"), shell());

        Launcher.Run r = l.run(tmp, "--log", log.toString(), "--log-format", "json", "create", "--bundle", bundle.toString(), "c1");

        assertThat(r.exitCode()).isNotZero();
        assertThat(runcCalls()).isEmpty();
        assertThat(r.stdout() + r.stderr()).isEmpty();
        List<String> lines = Files.readAllLines(log);
        assertThat(lines).hasSize(1);
        JsonNode line = new ObjectMapper().readTree(lines.getFirst());
        assertThat(line.path("level").asText()).isEqualTo("error");
        assertThat(line.path("msg").asText()).contains("could not run its Java part").contains("exit status 134")
                .contains("could not \"find\" class").contains("FLOX_JAVA");
        assertThat(line.path("time").asText()).endsWith("Z");
    }

    @Test
    void theLauncherTakesTheFirstOneLineStringOfStateDirAndRuncFromNodeToml() throws Exception {
        Path config = Files.writeString(tmp.resolve("node4.toml"), "# node\n  runc=\"/nonexistent/first\"\nrunc = \"/nonexistent/second\"\n"
                + "runc_other = \"/x\"\nstate_dir = \"" + tmp.resolve("ignored") + "\" trailing\nstate_dir = '" + state + "' # used\n");
        Launcher l = Launcher.write(tmp.resolve("bin5"), fakeJava.toString(), config, shell());
        Path log = tmp.resolve("log5.json");
        Launcher.Run r = l.run(tmp, "--log", log.toString(), "state", "abc");
        assertThat(r.exitCode()).isNotZero();
        assertThat(Files.readString(log)).contains("the real runc '/nonexistent/first' was not found");
        Files.createDirectories(state);
        l.run(tmp, "state", "abc"); // no --log: the error goes to state_dir/runtime-log.json
        assertThat(state.resolve("runtime-log.json")).content().contains("/nonexistent/first");
        assertThat(tmp.resolve("ignored")).doesNotExist();
    }
}
