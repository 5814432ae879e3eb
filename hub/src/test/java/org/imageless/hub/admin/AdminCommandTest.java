package org.imageless.hub.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.imageless.hub.FloxHub;
import org.imageless.hub.testing.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import picocli.CommandLine;

/** {@code floxhub admin}: commands on one data directory, outputs for scripts, exit codes by kind. */
class AdminCommandTest {

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    private Run floxhub(List<String> common, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = FloxHub.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(common);
        int code = cl.execute(all.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void createsAccountsAndTokensThatAuthenticate(Backend backend) throws Exception {
        Path data = tmp.resolve("data");
        List<String> common = new ArrayList<>(List.of("--data", data.toString()));
        backend.freshDbUrl(data).ifPresent(url -> common.addAll(List.of("--db-url", url)));
        Path pw = Files.writeString(tmp.resolve("pw"), "correct horse battery\n");

        assertThat(floxhub(common, "admin", "user", "create", "alice", "--password-file", pw.toString()).code()).isZero();
        assertThat(floxhub(common, "admin", "org", "create", "acme").code()).isZero();
        assertThat(floxhub(common, "admin", "org", "add-member", "acme", "alice", "writer").out()).isEqualTo("alice is writer of acme\n");

        Run token = floxhub(common, "admin", "token", "create", "alice", "--name", "laptop", "--expires", "30d");
        assertThat(token.code()).isZero();
        String secret = token.out().strip();
        assertThat(secret).startsWith("flox_pat_");
        assertThat(token.err()).contains("('laptop') for alice", "shown only now");

        Run list = floxhub(common, "admin", "token", "list", "alice");
        assertThat(list.out()).contains("laptop", "personal", "active").doesNotContain(secret);
        String id = list.out().lines().skip(1).findFirst().orElseThrow().split(" ")[0];

        assertThat(floxhub(common, "admin", "service-account", "create", "acme", "ci", "--role", "reader").code()).isZero();
        Run sat = floxhub(common, "admin", "service-account", "token", "create", "acme", "ci", "--expires", "never");
        assertThat(sat.out().strip()).startsWith("flox_sat_");

        assertThat(floxhub(common, "admin", "token", "revoke", id).out()).contains("revoked token " + id);
        assertThat(floxhub(common, "admin", "token", "list", "alice").out()).contains("revoked");
    }

    @Test
    void failuresExitWithTheirKindsCode() throws Exception {
        List<String> common = List.of("--data", tmp.resolve("data").toString());
        Path pw = Files.writeString(tmp.resolve("pw"), "long enough password");
        assertThat(floxhub(common, "admin", "user", "create", "alice", "--password-file", pw.toString()).code()).isZero();
        Run taken = floxhub(common, "admin", "org", "create", "alice");
        assertThat(taken.code()).isEqualTo(7);
        assertThat(taken.err()).isEqualTo("floxhub: error: the name 'alice' is already taken by a user\n");
        assertThat(floxhub(common, "admin", "org", "create", "Bad_Name").code()).isEqualTo(2);
        assertThat(floxhub(common, "admin", "token", "create", "nobody").code()).isEqualTo(3);
        assertThat(floxhub(common, "admin", "token", "create", "alice", "--expires", "soon").err()).contains("expiry 'soon' is not valid");
        assertThat(floxhub(common, "admin", "token", "revoke", "ffffffffffffffff").code()).isEqualTo(3);
        assertThat(floxhub(common, "admin", "org", "add-member", "alice", "alice", "admin").code()).isEqualTo(2);
        assertThat(floxhub(List.of("--db-url", "jdbc:mysql://x/y", "--data", tmp.resolve("d2").toString()), "admin", "cache-key").code()).isEqualTo(2);
    }

    @Test
    void cacheKeyIsCreatedOnceWithPrivateModeAndPrintedForNodes() throws Exception {
        Path data = tmp.resolve("data");
        List<String> common = List.of("--data", data.toString(), "--public-url", "https://hub.example.org");
        String first = floxhub(common, "admin", "cache-key").out().strip();
        String second = floxhub(common, "admin", "cache-key").out().strip();
        assertThat(first).startsWith("hub.example.org-1:").isEqualTo(second);
        assertThat(Files.readString(data.resolve("cache-key.pub")).strip()).isEqualTo(first);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("cache-key.sec")))).isEqualTo("rw-------");
        assertThat(Files.readString(data.resolve("cache-key.sec"))).startsWith("hub.example.org-1:");
    }
}
