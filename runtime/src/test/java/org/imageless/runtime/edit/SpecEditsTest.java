package org.imageless.runtime.edit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.TreeSet;
import org.imageless.nix.store.StorePath;
import org.imageless.runtime.spec.Mount;
import org.imageless.runtime.spec.ProcessSpec;
import org.imageless.runtime.spec.Spec;
import org.junit.jupiter.api.Test;

class SpecEditsTest {

    static final String CONFIG = """
            {"ociVersion":"1.0.2-dev","process":{"user":{"uid":0,"gid":0},"args":["echoip","-l",":8080"],
             "env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","HOSTNAME=pod"],"cwd":"/"},
             "root":{"path":"rootfs"},"mounts":[{"destination":"/proc","type":"proc","source":"proc"}],
             "annotations":{"io.kubernetes.cri.container-type":"container"},
             "linux":{"namespaces":[{"type":"pid"}],"x-unknown-to-us":{"kept":true}}}
            """;
    static final StorePath BASH = StorePath.parse("/nix/store/0a7wwpfcfdcmxyfpfr6byxr0zc1ppz5z-bash-5.2");
    static final StorePath ECHOIP = StorePath.parse("/nix/store/1b8xxqgdgfdmxyfpfr6byxr0zc1ppz5z-echoip-1.0");

    @Test
    void setEnvironmentReplacesInPlaceAndAppendsNewVariablesKeepingEverythingElse() {
        Spec spec = Spec.parse(CONFIG);
        SequencedMap<String, String> vars = new LinkedHashMap<>();
        vars.put("PATH", "/nix/store/view/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        vars.put("FLOX_ENV", "/nix/store/view");
        new SetEnvironment(vars).onSpec().apply(spec);

        assertThat(spec.process().env()).containsExactly(
                org.assertj.core.api.Assertions.entry("PATH", vars.get("PATH")),
                org.assertj.core.api.Assertions.entry("HOSTNAME", "pod"),
                org.assertj.core.api.Assertions.entry("FLOX_ENV", "/nix/store/view"));
        assertThat(spec.toJson()).contains("\"x-unknown-to-us\":{\"kept\":true}", "\"user\":{\"uid\":0,\"gid\":0}");
    }

    @Test
    void wrapForHookRunsTheHookWithBashThenExecsTheOriginalArgumentsUntouched() {
        ProcessSpec process = Spec.parse(CONFIG).process();
        new WrapForHook(BASH + "/bin/bash", "echo ready").apply(process);

        assertThat(process.args()).containsExactly(BASH + "/bin/bash", "-c", "{\necho ready\n} 1>&2\nexec \"$@\"",
                "flox-activate", "echoip", "-l", ":8080");
    }

    @Test
    void wrapForHookRefusesAContainerWithoutACommand() {
        ProcessSpec process = Spec.parseProcess("{\"args\":[],\"env\":[]}");
        assertThatThrownBy(() -> new WrapForHook(BASH + "/bin/bash", "true").apply(process))
                .hasMessageContaining("no command").hasMessageContaining("set 'command'");
        assertThatThrownBy(() -> new WrapForHook("/bin/bash", "true"))
                .hasMessageContaining("not from the environment's closure");
    }

    @Test
    void mountClosureBindsTheViewThenEachPathReadOnlyAfterTheExistingMounts() {
        Spec spec = Spec.parse(CONFIG);
        new MountClosure(Path.of("/var/lib/flox/views/c1"), Path.of("/var/lib/flox/store"),
                new TreeSet<>(List.of(ECHOIP, BASH))).apply(spec);

        assertThat(spec.mounts()).containsExactly(
                new Mount("/proc", "proc", "proc", List.of()),
                Mount.readOnlyBind("/var/lib/flox/views/c1", "/nix/store"),
                Mount.readOnlyBind("/var/lib/flox/store/" + BASH.baseName(), BASH.toString()),
                Mount.readOnlyBind("/var/lib/flox/store/" + ECHOIP.baseName(), ECHOIP.toString()));
        assertThat(spec.mounts().get(1).options()).contains("ro", "nosuid", "nodev");
    }

    @Test
    void mountClosureRefusesAContainerThatAlreadyMountsNixStore() {
        Spec spec = Spec.parse(CONFIG.replace("\"mounts\":[", "\"mounts\":[{\"destination\":\"/nix/store\",\"type\":\"bind\",\"source\":\"/host\"},"));
        assertThatThrownBy(() -> new MountClosure(Path.of("/v"), Path.of("/s"), new TreeSet<>(List.of(BASH))).apply(spec))
                .hasMessageContaining("already mounts /nix/store").hasMessageContaining("flox.dev/skip-containers");
    }

    @Test
    void editsComposeInOrderAndTheFirstFailureNamesItsEdit() {
        Spec spec = Spec.parse(CONFIG);
        SpecEdit failing = s -> {
            throw new IllegalArgumentException("boom");
        };
        SequencedMap<String, String> vars = new LinkedHashMap<>();
        vars.put("A", "1");
        SpecEdit edits = SpecEdit.all(List.of(new SetEnvironment(vars).onSpec(),
                new WrapForHook(BASH + "/bin/bash", "true").onSpec(), failing));
        assertThatThrownBy(() -> edits.apply(spec)).isInstanceOf(SpecEditException.class).hasMessageEndingWith(": boom");
        assertThat(spec.process().env()).containsKey("A");
        assertThat(spec.process().args().getFirst()).isEqualTo(BASH + "/bin/bash");
    }
}
