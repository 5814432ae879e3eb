package org.imageless.environment.activation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ActivationPlanTest {

    private static final String VIEW = "/nix/store/0370cakz5b3yf6dlr2r75ybxsrjpp5k3-environment-run";

    private static ActivationPlan plan(ActivationMode mode, Map<String, String> vars, String hook, Map<String, String> inherited) {
        return ActivationPlan.compute(new ActivationPlan.Request(mode, VIEW, "acme/web", vars, hook, null, null, inherited));
    }

    @Test
    void runModeSetsFloxEnvPathAndManpathInOrder() {
        ActivationPlan p = plan(ActivationMode.RUN, Map.of(), null, Map.of("PATH", "/usr/bin:/bin"));
        assertThat(p.environment()).containsExactly(
                Map.entry("FLOX_ENV", VIEW),
                Map.entry("FLOX_ENV_DESCRIPTION", "acme/web"),
                Map.entry("FLOX_PROMPT_ENVIRONMENTS", ""),
                Map.entry("_FLOX_SET_PROMPT", "true"),
                Map.entry("FLOX_PROMPT_COLOR_1", "99"),
                Map.entry("FLOX_PROMPT_COLOR_2", "141"),
                Map.entry("PATH", VIEW + "/bin:" + VIEW + "/sbin:/usr/bin:/bin"),
                Map.entry("MANPATH", VIEW + "/share/man:"));
        assertThat(p.runsHook()).isFalse();
    }

    @Test
    void runModeLeavesDevelopmentPathsAlone() {
        assertThat(plan(ActivationMode.RUN, Map.of(), null, Map.of()).environment())
                .doesNotContainKeys("CPATH", "LIBRARY_PATH", "PKG_CONFIG_PATH", "ACLOCAL_PATH", "XDG_DATA_DIRS", "INFOPATH");
    }

    @Test
    void devModeAddsCommonPathsPrependedToInheritedValues() {
        ActivationPlan p = plan(ActivationMode.DEV, Map.of(), null, Map.of("PKG_CONFIG_PATH", "/usr/lib/pkgconfig",
                "XDG_DATA_DIRS", "/usr/share"));
        assertThat(p.environment())
                .containsEntry("CPATH", VIEW + "/include")
                .containsEntry("LIBRARY_PATH", VIEW + "/lib")
                .containsEntry("PKG_CONFIG_PATH", VIEW + "/lib/pkgconfig:" + VIEW + "/share/pkgconfig:/usr/lib/pkgconfig")
                .containsEntry("ACLOCAL_PATH", VIEW + "/share/aclocal")
                .containsEntry("XDG_DATA_DIRS", VIEW + "/share:/usr/share")
                .containsEntry("INFOPATH", VIEW + "/share/info");
    }

    @Test
    void removesDuplicatePathEntriesLikeFloxsAwkButKeepsTheLast() {
        assertThat(ActivationPlan.dedup("/a:/b:/a:/c")).isEqualTo("/a:/b:/c");
        assertThat(ActivationPlan.dedup("/a:/b:/a")).isEqualTo("/a:/b:/a");
        ActivationPlan p = plan(ActivationMode.RUN, Map.of(), null, Map.of("PATH", VIEW + "/bin:/usr/bin", "MANPATH", "/usr/share/man"));
        assertThat(p.environment().get("PATH")).isEqualTo(VIEW + "/bin:" + VIEW + "/sbin:/usr/bin");
        assertThat(p.environment().get("MANPATH")).isEqualTo(VIEW + "/share/man:/usr/share/man");
    }

    @Test
    void varsComeLastAndOverride() {
        ActivationPlan p = plan(ActivationMode.RUN, Map.of("PATH", "/custom", "GREETING", "hello $USER"), null, Map.of());
        assertThat(p.environment().get("PATH")).isEqualTo("/custom");
        assertThat(p.environment().get("GREETING")).isEqualTo("hello $USER");
        assertThat(p.environment().lastEntry().getKey()).isIn("PATH", "GREETING");
    }

    @Test
    void aHookMustRunOnlyWhenOnActivateHasContent() {
        assertThat(plan(ActivationMode.RUN, Map.of(), "echo hi", Map.of()).runsHook()).isTrue();
        assertThat(plan(ActivationMode.RUN, Map.of(), "  \n", Map.of()).runsHook()).isFalse();
    }

    @Test
    void projectAndCacheAreSetWhenGiven() {
        ActivationPlan p = ActivationPlan.compute(new ActivationPlan.Request(ActivationMode.RUN, VIEW + "/", null, Map.of(),
                null, "/work/app", "/work/app/.flox/cache", Map.of()));
        assertThat(p.environment()).containsEntry("FLOX_ENV", VIEW).containsEntry("FLOX_ENV_PROJECT", "/work/app")
                .containsEntry("FLOX_ENV_CACHE", "/work/app/.flox/cache").doesNotContainKey("FLOX_ENV_DESCRIPTION");
    }

    @Test
    void rejectsARelativeViewAndUnknownModes() {
        assertThatThrownBy(() -> new ActivationPlan.Request(ActivationMode.RUN, "view", null, Map.of(), null, null, null, Map.of()))
                .hasMessageContaining("not an absolute path");
        assertThatThrownBy(() -> ActivationMode.parse("prod")).hasMessageContaining("expected 'run' or 'dev'");
        assertThat(ActivationMode.parse("dev").text()).isEqualTo("dev");
    }
}
