package org.imageless.environment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalInt;
import org.imageless.nix.NixException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EnvironmentRefTest {

    @Test
    void parsesOwnerAndName() {
        EnvironmentRef ref = EnvironmentRef.parse("acme/web-app");
        assertThat(ref.owner()).isEqualTo("acme");
        assertThat(ref.name()).isEqualTo("web-app");
        assertThat(ref.generation()).isEmpty();
        assertThat(ref).hasToString("acme/web-app");
    }

    @Test
    void parsesAPinnedGeneration() {
        EnvironmentRef ref = EnvironmentRef.parse("my_org.1/py3.12:42");
        assertThat(ref.generation()).isEqualTo(OptionalInt.of(42));
        assertThat(ref.description()).isEqualTo("my_org.1/py3.12");
        assertThat(ref).hasToString("my_org.1/py3.12:42");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "acme/|environment reference 'acme/' has an empty name: expected 'owner/name[:generation]'",
            "/web|environment reference '/web' has an empty owner",
            "acme|has no '/'",
            "a/b/c|more than one '/'",
            "acme/web:0|has generation '0': expected a positive integer",
            "acme/web:x1|has generation 'x1'",
            "acme/web:|empty generation",
            ".acme/web|owner starting with '.'",
            "acme/-web|name starting with '-'",
            "ac me/web|illegal character ' '",
    })
    void rejectsMalformedReferences(String text, String message) {
        assertThatThrownBy(() -> EnvironmentRef.parse(text))
                .isInstanceOf(NixException.class)
                .hasMessageContaining(message)
                .extracting(e -> ((NixException) e).kind()).isEqualTo(NixException.Kind.INVALID);
    }
}
