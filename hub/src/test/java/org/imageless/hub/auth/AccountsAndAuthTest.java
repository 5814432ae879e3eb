package org.imageless.hub.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.imageless.hub.Hub;
import org.imageless.hub.HubException;
import org.imageless.hub.account.Membership;
import org.imageless.hub.account.Owner;
import org.imageless.hub.account.Role;
import org.imageless.hub.auth.Authentication.Failed;
import org.imageless.hub.auth.Authentication.Failure;
import org.imageless.hub.testing.Backend;
import org.imageless.hub.testing.MutableClock;
import org.imageless.hub.testing.TestHubs;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Accounts, tokens, authentication and the access policy, on SQLite and on PostgreSQL. */
class AccountsAndAuthTest {

    @TempDir
    Path tmp;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-07-01T12:00:00Z"));

    private Hub hub(Backend backend) {
        Hub hub = TestHubs.open(backend, tmp.resolve("data"), clock);
        hub.accounts().createUser("alice", "alice-password".toCharArray());
        hub.accounts().createUser("bob", "bob-password".toCharArray());
        hub.accounts().createUser("carol", "carol-password".toCharArray());
        hub.accounts().createOrg("acme");
        hub.accounts().createOrg("other");
        hub.accounts().addMember("acme", "alice", Role.OWNER);
        hub.accounts().addMember("acme", "bob", Role.READER);
        return hub;
    }

    private static String basic(String user, String token) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + token).getBytes(StandardCharsets.UTF_8));
    }

    private static Failed failed(Authentication a) {
        assertThat(a).isInstanceOf(Failed.class);
        return (Failed) a;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void ownerNamesAreUniqueAcrossUsersAndOrganisations(Backend backend) {
        try (Hub hub = hub(backend)) {
            assertThatThrownBy(() -> hub.accounts().createOrg("alice"))
                    .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.CONFLICT))
                    .hasMessageContaining("'alice' is already taken by a user");
            assertThatThrownBy(() -> hub.accounts().createUser("acme", "long-enough".toCharArray()))
                    .hasMessageContaining("already taken by an organisation");
            assertThat(hub.accounts().owner("alice")).contains(new Owner("alice", Owner.Kind.USER));
            assertThat(hub.accounts().owner("acme")).contains(new Owner("acme", Owner.Kind.ORG));
            assertThat(hub.accounts().owner("nobody")).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void rejectsInvalidNamesRolesAndShortPasswords(Backend backend) {
        try (Hub hub = hub(backend)) {
            for (String bad : List.of("", "Alice", "-x", "x-", "a/b", "a".repeat(40), "..")) {
                assertThatThrownBy(() -> hub.accounts().createOrg(bad))
                        .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.INVALID));
            }
            assertThatThrownBy(() -> hub.accounts().createUser("dave", "short".toCharArray())).hasMessageContaining("at least 8");
            assertThatThrownBy(() -> Role.parse("admin")).hasMessageContaining("'admin' is not one of owner, writer, reader");
            assertThatThrownBy(() -> hub.accounts().addMember("nope", "bob", Role.READER))
                    .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.NOT_FOUND));
            assertThatThrownBy(() -> hub.accounts().addMember("alice", "bob", Role.READER)).hasMessageContaining("is a user, not an organisation");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void checksPasswordsAgainstTheirSaltedHash(Backend backend) {
        try (Hub hub = hub(backend)) {
            assertThat(hub.accounts().checkPassword("alice", "alice-password".toCharArray())).isTrue();
            assertThat(hub.accounts().checkPassword("alice", "bob-password".toCharArray())).isFalse();
            assertThat(hub.accounts().checkPassword("nobody", "alice-password".toCharArray())).isFalse();
            List<String> hashes = hub.database().jdbi().withHandle(h -> h.createQuery("SELECT password_hash FROM users")
                    .mapTo(String.class).list());
            assertThat(hashes).allMatch(s -> s.startsWith("pbkdf2-sha256$")).doesNotHaveDuplicates();
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void membershipChangesRoleInsteadOfDuplicating(Backend backend) {
        try (Hub hub = hub(backend)) {
            hub.accounts().addMember("acme", "bob", Role.WRITER);
            assertThat(hub.accounts().memberships("bob")).containsExactly(new Membership("acme", Role.WRITER));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void authenticatesBearerAndBasicWithAnyUserName(Backend backend) {
        try (Hub hub = hub(backend)) {
            IssuedToken t = hub.tokens().createPersonal("alice", "laptop", Expiry.parse("30d"));
            assertThat(t.secret()).startsWith("flox_pat_").hasSize(9 + 43);
            Authenticator auth = hub.authenticator();
            Principal expected = new Principal.User("alice", t.info().id());
            assertThat(auth.authenticate("bearer " + t.secret()).principal()).isEqualTo(expected);
            assertThat(auth.authenticate("Bearer " + t.secret()).principal()).isEqualTo(expected);
            assertThat(auth.authenticate(basic("oauth", t.secret())).principal()).isEqualTo(expected);
            assertThat(auth.authenticate(basic("", t.secret())).principal()).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void reportsEachFailureWithWhatToDo(Backend backend) {
        try (Hub hub = hub(backend)) {
            Authenticator auth = hub.authenticator();
            assertThat(failed(auth.authenticate(null)).failure()).isEqualTo(Failure.MISSING);
            assertThat(failed(auth.authenticate("bearer nonsense")).failure()).isEqualTo(Failure.MALFORMED);
            assertThat(failed(auth.authenticate("Basic %%%")).failure()).isEqualTo(Failure.MALFORMED);
            assertThat(failed(auth.authenticate("Digest abc")).failure()).isEqualTo(Failure.MALFORMED);
            String unknown = "flox_pat_" + "A".repeat(43);
            Failed f = failed(auth.authenticate("bearer " + unknown));
            assertThat(f.failure()).isEqualTo(Failure.UNKNOWN);
            assertThat(f.message()).contains("floxhub admin token create").doesNotContain(unknown);

            IssuedToken t = hub.tokens().createPersonal("alice", "ci", Expiry.parse("90d"));
            clock.advance(Duration.ofDays(90));
            Failed expired = failed(auth.authenticate("bearer " + t.secret()));
            assertThat(expired.failure()).isEqualTo(Failure.EXPIRED);
            assertThat(expired.message()).isEqualTo("token expired on 2026-09-29: create a new one with "
                    + "'flox auth login' or 'floxhub admin token create'");
            assertThat(expired.principalOrAnonymous()).isEqualTo(Principal.ANONYMOUS);
            assertThat(expired.warning()).contains("expired").contains("anonymous");
            assertThatThrownBy(expired::principal).isInstanceOfSatisfying(HubException.class,
                    e -> assertThat(e.kind()).isEqualTo(HubException.Kind.UNAUTHENTICATED));

            IssuedToken r = hub.tokens().createPersonal("alice", "old laptop", Expiry.NEVER);
            hub.tokens().revoke(r.info().id());
            Failed revoked = failed(auth.authenticate("bearer " + r.secret()));
            assertThat(revoked.failure()).isEqualTo(Failure.REVOKED);
            assertThat(revoked.message()).contains(r.info().id(), "old laptop", "revoked on 2026-09-29");
            assertThat(revoked.principalOrAnonymous()).isEqualTo(Principal.ANONYMOUS);
            assertThat(revoked.warning()).contains("revoked", "served as anonymous");
            assertThatThrownBy(revoked::principal).isInstanceOf(HubException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void loginTokensLastThirtyDays(Backend backend) {
        try (Hub hub = hub(backend)) {
            IssuedToken t = hub.tokens().createLogin("bob", "flox auth login on bobs-laptop");
            assertThat(t.secret()).startsWith("flox_lgn_");
            clock.advance(Duration.ofDays(30).minusSeconds(1));
            assertThat(hub.authenticator().authenticate("bearer " + t.secret())).isInstanceOf(Authentication.Authenticated.class);
            clock.advance(Duration.ofSeconds(1));
            assertThat(failed(hub.authenticator().authenticate("bearer " + t.secret())).failure()).isEqualTo(Failure.EXPIRED);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void storesOnlyHashesOfTokens(Backend backend) {
        try (Hub hub = hub(backend)) {
            IssuedToken t = hub.tokens().createPersonal("alice", "laptop", Expiry.NEVER);
            List<Map<String, Object>> rows = hub.database().jdbi().withHandle(h -> h.createQuery("SELECT * FROM tokens").mapToMap().list());
            assertThat(rows).hasSize(1);
            assertThat(rows.getFirst().values()).noneMatch(v -> v != null && v.toString().contains(t.secret().substring(9)));
            assertThat(rows.getFirst().get("token_hash")).isEqualTo(Tokens.hash(t.secret()));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void recordsLastUseAtMostOncePerMinute(Backend backend) {
        try (Hub hub = hub(backend)) {
            IssuedToken t = hub.tokens().createPersonal("alice", "laptop", Expiry.NEVER);
            assertThat(hub.tokens().byId(t.info().id()).orElseThrow().lastUsed()).isEmpty();
            Instant first = clock.instant();
            hub.authenticator().authenticate("bearer " + t.secret());
            clock.advance(Duration.ofSeconds(30));
            hub.authenticator().authenticate("bearer " + t.secret());
            assertThat(hub.tokens().byId(t.info().id()).orElseThrow().lastUsed()).contains(first);
            clock.advance(Duration.ofSeconds(31));
            hub.authenticator().authenticate("bearer " + t.secret());
            assertThat(hub.tokens().byId(t.info().id()).orElseThrow().lastUsed()).contains(clock.instant());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void listsAndRevokesTokensById(Backend backend) {
        try (Hub hub = hub(backend)) {
            IssuedToken a = hub.tokens().createPersonal("alice", "one", Expiry.NEVER);
            clock.advance(Duration.ofSeconds(1));
            IssuedToken b = hub.tokens().createLogin("alice", "two");
            hub.tokens().createPersonal("bob", "bobs", Expiry.NEVER);
            assertThat(hub.tokens().listForUser("alice")).extracting(TokenInfo::id).containsExactly(b.info().id(), a.info().id());
            assertThat(hub.tokens().revoke(a.info().id()).revoked()).contains(clock.instant());
            assertThat(hub.tokens().revoke(a.info().id()).revoked()).contains(clock.instant());
            assertThatThrownBy(() -> hub.tokens().revoke("0000000000000000"))
                    .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.NOT_FOUND));
            assertThatThrownBy(() -> hub.tokens().createPersonal("nobody", "x", Expiry.NEVER))
                    .hasMessageContaining("user 'nobody' does not exist");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void serviceAccountsActWithTheirRoleInTheirOrganisationOnly(Backend backend) {
        try (Hub hub = hub(backend)) {
            hub.accounts().createServiceAccount("acme", "ci", Role.WRITER);
            assertThatThrownBy(() -> hub.accounts().createServiceAccount("acme", "ci", Role.READER))
                    .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.CONFLICT));
            assertThatThrownBy(() -> hub.accounts().createServiceAccount("acme", "boss", Role.OWNER))
                    .hasMessageContaining("reader or writer");
            IssuedToken t = hub.tokens().createServiceAccountToken("acme", "ci", "pipeline", Expiry.parse("1y"));
            assertThat(t.secret()).startsWith("flox_sat_");
            assertThat(t.info().expires()).contains(clock.instant().plus(Duration.ofDays(365)));
            Principal p = hub.authenticator().authenticate("bearer " + t.secret()).principal();
            assertThat(p).isEqualTo(new Principal.ServiceAccount("acme", "ci", Role.WRITER, t.info().id()));
            assertThat(p.name()).isEqualTo("acme/ci");
            Access access = hub.access();
            assertThat(access.role(p, "acme")).isEqualTo(Role.WRITER);
            assertThat(access.role(p, "other")).isEqualTo(Role.NONE);
            assertThat(access.canWrite(p, "acme")).isTrue();
            assertThat(access.canRead(p, "other", Visibility.PRIVATE)).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void accessFollowsOwnershipMembershipAndVisibility(Backend backend) {
        try (Hub hub = hub(backend)) {
            Access access = hub.access();
            Principal alice = new Principal.User("alice", "t1");
            Principal bob = new Principal.User("bob", "t2");
            Principal carol = new Principal.User("carol", "t3");
            Principal anon = Principal.ANONYMOUS;

            assertThat(access.role(alice, "alice")).isEqualTo(Role.OWNER);
            assertThat(access.role(alice, "acme")).isEqualTo(Role.OWNER);
            assertThat(access.role(bob, "acme")).isEqualTo(Role.READER);
            assertThat(access.role(bob, "alice")).isEqualTo(Role.NONE);
            assertThat(access.role(carol, "acme")).isEqualTo(Role.NONE);
            assertThat(access.role(anon, "acme")).isEqualTo(Role.NONE);

            for (Principal p : List.of(alice, bob, carol, anon)) {
                assertThat(access.canRead(p, "acme", Visibility.PUBLIC)).as(p.name()).isTrue();
            }
            assertThat(access.canRead(bob, "acme", Visibility.PRIVATE)).isTrue();
            assertThat(access.canRead(carol, "acme", Visibility.PRIVATE)).isFalse();
            assertThat(access.canRead(anon, "acme", Visibility.PRIVATE)).isFalse();
            assertThat(access.canWrite(alice, "acme")).isTrue();
            assertThat(access.canWrite(bob, "acme")).isFalse();
            assertThat(access.canWrite(anon, "acme")).isFalse();

            assertThatThrownBy(() -> access.checkRead(anon, "acme", Visibility.PRIVATE))
                    .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.UNAUTHENTICATED));
            assertThatThrownBy(() -> access.checkWrite(bob, "acme"))
                    .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.FORBIDDEN))
                    .hasMessageContaining("bob may not write to 'acme' (role: reader)");
        }
    }
}
