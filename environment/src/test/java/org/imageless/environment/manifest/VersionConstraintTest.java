package org.imageless.environment.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class VersionConstraintTest {

    private static final List<String> VERSIONS = List.of("0.1.0", "0.1.5", "0.2.0", "1.0.0", "1.2.0", "1.2.7",
            "1.3.0", "2.0.0-beta.1", "2.0.0", "2.1.0", "3.0.0", "2024-01-05");

    private static List<String> matching(String constraint) {
        VersionConstraint c = VersionConstraint.parse(constraint);
        return VERSIONS.stream().filter(c::matches).toList();
    }

    @Test
    void caretTildeAndXRangesFollowNodeSemver() {
        assertThat(matching("^1.2")).containsExactly("1.2.0", "1.2.7", "1.3.0");
        assertThat(matching("^0.1")).containsExactly("0.1.0", "0.1.5");
        assertThat(matching("~1.2")).containsExactly("1.2.0", "1.2.7");
        assertThat(matching("1.x")).containsExactly("1.0.0", "1.2.0", "1.2.7", "1.3.0");
        assertThat(matching("2")).containsExactly("2.0.0", "2.1.0");
        assertThat(matching("*")).hasSize(10);
    }

    @Test
    void comparatorsSetsAlternativesAndHyphenRanges() {
        assertThat(matching(">=1.2.7 <2")).containsExactly("1.2.7", "1.3.0");
        assertThat(matching(">1.2")).containsExactly("1.3.0", "2.0.0", "2.1.0", "3.0.0");
        assertThat(matching("<=1.2")).containsExactly("0.1.0", "0.1.5", "0.2.0", "1.0.0", "1.2.0", "1.2.7");
        assertThat(matching("^0.2 || ^3")).containsExactly("0.2.0", "3.0.0");
        assertThat(matching("1.0.0 - 1.2")).containsExactly("1.0.0", "1.2.0", "1.2.7");
        assertThat(matching("1.2.7")).containsExactly("1.2.7");
    }

    @Test
    void preReleasesMatchOnlyWhenTheRangeNamesOneOfTheSameRelease() {
        assertThat(matching(">=2.0.0-beta.0")).contains("2.0.0-beta.1", "2.0.0");
        assertThat(matching(">=1.0.0")).doesNotContain("2.0.0-beta.1");
    }

    @Test
    void anExactConstraintMatchesAnyTextAndNonSemverVersionsOnlyThat() {
        assertThat(matching("=2024-01-05")).containsExactly("2024-01-05");
        assertThat(matching("=1.2.7")).containsExactly("1.2.7");
    }

    @Test
    void badConstraintsSayWhy() {
        assertThatThrownBy(() -> VersionConstraint.parse("^1.2 ||")).hasMessageContaining("empty alternative");
    }

    @Test
    void versionsOrderBySemverPrecedence() {
        assertThat(SemanticVersion.parse("2.0.0-beta.1").orElseThrow())
                .isLessThan(SemanticVersion.parse("2.0.0").orElseThrow())
                .isGreaterThan(SemanticVersion.parse("2.0.0-alpha").orElseThrow());
        assertThat(SemanticVersion.parse("1.10").orElseThrow()).isGreaterThan(SemanticVersion.parse("1.9.3").orElseThrow());
        assertThat(SemanticVersion.parse("2024-01-05")).isEmpty();
    }
}
