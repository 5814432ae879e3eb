package org.imageless.runtime.annotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.imageless.environment.activation.ActivationMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PodAnnotationsTest {

    static Map<String, String> container(String name, String... kv) {
        Map<String, String> a = new HashMap<>();
        a.put(ContainerRole.CONTAINER_TYPE, "container");
        a.put(ContainerRole.CONTAINER_NAME, name);
        for (int i = 0; i < kv.length; i += 2) {
            a.put(kv[i], kv[i + 1]);
        }
        return a;
    }

    @Test
    void readsTheAnnotationsOfFloxsDocumentedPodSpec() {
        PodAnnotations p = PodAnnotations.parse(container("empty", "flox.dev/environment", "limeytexan/echoip"));
        assertThat(p.environment().orElseThrow().owner()).isEqualTo("limeytexan");
        assertThat(p.environment().orElseThrow().name()).isEqualTo("echoip");
        assertThat(p.activateMode()).isEqualTo(ActivationMode.RUN);
        assertThat(p.nixMutable()).isFalse();
        assertThat(p.disableMetrics()).isFalse();
    }

    @Test
    void readsEveryAnnotation() {
        PodAnnotations p = PodAnnotations.parse(container("app", "flox.dev/environment", "acme/api:3",
                "flox.dev/activate-mode", "dev", "flox.dev/nix-mutable", "true", "flox.dev/skip-containers", "sidecar, proxy",
                "flox.dev/skip-containers-exec", "app", "flox.dev/disable-metrics", "true"));
        assertThat(p.environment().orElseThrow().generation()).hasValue(3);
        assertThat(p.activateMode()).isEqualTo(ActivationMode.DEV);
        assertThat(p.nixMutable()).isTrue();
        assertThat(p.skipContainers()).containsExactlyInAnyOrder("sidecar", "proxy");
        assertThat(p.skipContainersExec()).containsExactly("app");
        assertThat(p.disableMetrics()).isTrue();
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "flox.dev/environment|acme|flox.dev/environment=\"acme\" is invalid",
        "flox.dev/activate-mode|interactive|expected \"run\" (the default) or \"dev\"",
        "flox.dev/nix-mutable|yes|expected \"true\" or \"false\"",
        "flox.dev/disable-metrics|1|expected \"true\" or \"false\"",
        "flox.dev/skip-containers|Side_Car|'Side_Car' is not a container name",
        "flox.dev/enviroment|acme/api|did you mean 'flox.dev/environment'?"})
    void badValuesNameTheAnnotationAndWhatIsExpected(String key, String value, String message) {
        assertThatThrownBy(() -> PodAnnotations.parse(container("app", key, value)))
                .isInstanceOf(AnnotationException.class).hasMessageContaining(message);
    }

    @Test
    void theSandboxAndSkippedContainersPassThroughToRunc() {
        Map<String, String> sandbox = container("", "flox.dev/environment", "acme/api");
        sandbox.put(ContainerRole.CONTAINER_TYPE, "sandbox");
        assertThat(ContainerRole.forCreate(sandbox)).isInstanceOf(ContainerRole.PassThrough.class);
        assertThat(ContainerRole.forCreate(container("sidecar", "flox.dev/environment", "acme/api",
                "flox.dev/skip-containers", "sidecar"))).isInstanceOf(ContainerRole.PassThrough.class);
        assertThat(ContainerRole.forCreate(container("app", "flox.dev/environment", "acme/api")))
                .isInstanceOf(ContainerRole.Activate.class);
    }

    @Test
    void skipContainersExecActivatesTheMainProcessButNotExecs() {
        Map<String, String> a = container("app", "flox.dev/environment", "acme/api", "flox.dev/skip-containers-exec", "app");
        assertThat(ContainerRole.forCreate(a)).isInstanceOf(ContainerRole.Activate.class);
        assertThat(ContainerRole.forExec(a)).isInstanceOf(ContainerRole.PassThrough.class);
    }

    @Test
    void aFloxContainerWithoutAnEnvironmentIsAnErrorThatSaysWhatToDo() {
        assertThatThrownBy(() -> ContainerRole.forCreate(container("app")))
                .hasMessageContaining("no flox.dev/environment annotation")
                .hasMessageContaining("\"owner/name\"");
    }
}
