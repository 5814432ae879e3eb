package org.imageless.environment.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.imageless.environment.EnvironmentFormatException;
import org.imageless.environment.Resources;
import org.imageless.environment.manifest.Manifest;
import org.imageless.nix.NixException;
import org.junit.jupiter.api.Test;

class GenerationsMetadataTest {

    private static final String GOLDEN = Resources.read(GenerationsMetadataTest.class, "metadata.json");

    private static HistoryEntry install(int gen, Integer prev) {
        return new HistoryEntry(HistoryEntry.Change.install(List.of("hello")), "alice", "laptop", 1700000000L + gen, gen, prev);
    }

    @Test
    void roundTripsCompactlyAsFloxWritesIt() {
        GenerationsMetadata m = GenerationsMetadata.parse(GOLDEN, "metadata.json");
        assertThat(m.format()).isEqualTo(GOLDEN);
    }

    @Test
    void theLiveGenerationIsTheLastEntrysCurrentGeneration() {
        GenerationsMetadata m = GenerationsMetadata.parse(GOLDEN, "metadata.json");
        assertThat(m.liveGeneration()).hasValue(1);
        assertThat(m.totalGenerations()).isEqualTo(2);
        assertThat(m.creation(2).change().kind()).isEqualTo(HistoryEntry.Kind.EDIT);
        assertThat(GenerationsMetadata.empty().liveGeneration()).isEmpty();
    }

    @Test
    void emptyMetadataIsWhatFloxInitialises() {
        assertThat(GenerationsMetadata.empty().format()).isEqualTo("{\"version\":2,\"history\":[],\"total_generations\":0}");
    }

    @Test
    void appendingKeepsTheHistoryAppendOnly() {
        GenerationsMetadata before = GenerationsMetadata.parse(GOLDEN, "metadata.json");
        GenerationsMetadata after = before.append(install(3, 1));
        after.checkAppendOnly(before);
        assertThat(after.liveGeneration()).hasValue(3);
    }

    @Test
    void rewritingHistoryIsRefused() {
        GenerationsMetadata before = GenerationsMetadata.parse(GOLDEN, "metadata.json");
        GenerationsMetadata rewritten = new GenerationsMetadata(List.of(install(1, null)), 1);
        assertThatThrownBy(() -> rewritten.checkAppendOnly(before))
                .hasMessageContaining("history has 1 entries but had 3");
        GenerationsMetadata changed = GenerationsMetadata.parse(GOLDEN.replace("\"bob\"", "\"eve\""), "metadata.json");
        assertThatThrownBy(() -> changed.checkAppendOnly(before)).hasMessageContaining("history[2] was changed");
    }

    @Test
    void rejectsGenerationsCreatedOutOfOrder() {
        assertThatThrownBy(() -> new GenerationsMetadata(List.of(install(1, null), install(3, 1)), 2))
                .isInstanceOf(NixException.class).hasMessageContaining("creates generation 3, expected 2");
    }

    @Test
    void rejectsAPreviousGenerationThatWasNotLive() {
        assertThatThrownBy(() -> new GenerationsMetadata(List.of(install(1, null), install(2, null)), 2))
                .hasMessageContaining("previous_generation is null but generation 1 was live");
    }

    @Test
    void rejectsAWrongTotal() {
        assertThatThrownBy(() -> GenerationsMetadata.parse(GOLDEN.replace("\"total_generations\":2", "\"total_generations\":5"), "metadata.json"))
                .isInstanceOf(EnvironmentFormatException.class)
                .hasMessageContaining("total_generations is 5 but history creates 2");
    }

    @Test
    void rejectsUnknownKeysAndKindsAsFloxDoes() {
        assertThatThrownBy(() -> GenerationsMetadata.parse(GOLDEN.replace("\"kind\":\"edit\"", "\"kind\":\"edit\",\"x\":1"), "metadata.json"))
                .isInstanceOfSatisfying(EnvironmentFormatException.class, e -> assertThat(e.key()).isEqualTo("history[1].x"));
        assertThatThrownBy(() -> GenerationsMetadata.parse(GOLDEN.replace("\"kind\":\"edit\"", "\"kind\":\"fromthefuture\""), "metadata.json"))
                .hasMessageContaining("unknown kind 'fromthefuture'");
        assertThatThrownBy(() -> GenerationsMetadata.parse(GOLDEN.replace("\"version\":2", "\"version\":1"), "metadata.json"))
                .hasMessageContaining("metadata version 1 is not supported");
        assertThatThrownBy(() -> GenerationsMetadata.parse(GOLDEN.replace("\"current_generation\":\"1\"", "\"current_generation\":1"), "metadata.json"))
                .hasMessageContaining("expected a generation number as a string");
    }

    @Test
    void reportsMissingAndExtraGenerationFiles() {
        GenerationsMetadata m = GenerationsMetadata.parse(GOLDEN, "metadata.json");
        GenerationsMetadata.TreeCheck ok = m.checkTree(Set.of("metadata.json", "1/env/manifest.toml",
                "1/env/manifest.lock", "2/env/manifest.toml"));
        assertThat(ok.ok()).isTrue();
        GenerationsMetadata.TreeCheck bad = m.checkTree(Set.of("metadata.json", "1/env/manifest.toml",
                "3/env/manifest.toml", "README"));
        assertThat(bad.missing()).containsExactly("2/env/manifest.toml");
        assertThat(bad.extra()).containsExactly("3/env/manifest.toml", "README");
    }

    @Test
    void aGenerationIsMadeOnlyByTheEntryThatCreatedIt() {
        GenerationsMetadata m = GenerationsMetadata.parse(GOLDEN, "metadata.json");
        Manifest manifest = Manifest.parse("version = 1\n", "1/env/manifest.toml");
        assertThat(new Generation(1, manifest, null, m.creation(1)).number()).isEqualTo(1);
        assertThatThrownBy(() -> new Generation(2, manifest, null, m.creation(1))).hasMessageContaining("did not create it");
        assertThat(Generation.manifestPath(7)).isEqualTo("7/env/manifest.toml");
    }
}
