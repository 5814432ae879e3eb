package org.imageless.hub.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SuggestionsTest {

    private static final List<String> PACKAGES = List.of("acme/hello", "acme/help", "acme/jq", "bob/hello");

    @Test
    void suggestsTheClosestNameWithinATypoOrTwo() {
        assertThat(Suggestions.closest("acme/helo", PACKAGES)).contains("acme/hello");
        assertThat(Suggestions.closest("acme/jqq", PACKAGES)).contains("acme/jq");
    }

    @Test
    void suggestsAnOwnersPackageForABareName() {
        assertThat(Suggestions.closest("hello", PACKAGES)).contains("acme/hello");
    }

    @Test
    void suggestsNothingWhenNothingIsClose() {
        assertThat(Suggestions.closest("acme/postgresql", PACKAGES)).isEmpty();
        assertThat(Suggestions.closest("acme/zz", List.of())).isEmpty();
    }
}
