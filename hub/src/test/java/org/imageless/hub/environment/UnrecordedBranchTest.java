package org.imageless.hub.environment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.imageless.hub.auth.Visibility;
import org.imageless.hub.testing.RunningHub;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hub killed after a push moved the branch but before the environment's row was written: the
 * next start gives the branch its row (public, as the first push would have), and leaves rows that
 * exist alone.
 */
class UnrecordedBranchTest {

    @TempDir
    Path tmp;

    @Test
    void aBranchWithoutARowGetsAPublicRowWhenTheHubStartsAndExistingRowsAreKept() {
        Path data = tmp.resolve("data");
        String manifest = RunningHub.manifest(java.util.List.of(), null, null);
        try (RunningHub hub = RunningHub.start(data)) {
            String alice = hub.createUser("alice");
            hub.createOrg("acme", "alice");
            hub.pushGeneration("acme", "web", manifest, null, alice);
            hub.pushGeneration("acme", "secret", manifest, null, alice);
            hub.setVisibility("acme", "secret", "private", alice);
            // what a kill between the ref update and recordPush leaves behind
            hub.hub().database().jdbi().useHandle(h -> h.execute("DELETE FROM environments WHERE name = 'web'"));
            assertThat(hub.hub().environments().find("acme", "web")).isEmpty();
        }

        try (RunningHub hub = RunningHub.start(data)) {
            assertThat(hub.hub().environments().find("acme", "web"))
                    .hasValueSatisfying(e -> assertThat(e.visibility()).isEqualTo(Visibility.PUBLIC));
            assertThat(hub.hub().environments().find("acme", "secret"))
                    .hasValueSatisfying(e -> assertThat(e.visibility()).isEqualTo(Visibility.PRIVATE));
            assertThat(hub.call("GET", "/api/v1/environments/acme/web/generations/live", null, null, 200)
                    .path("generation").asInt()).isEqualTo(1);
            assertThat(hub.hub().environments().recordUnrecordedBranches()).as("nothing left to heal").isEmpty();
        }
    }
}
