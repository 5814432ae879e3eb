package org.imageless.hub.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.imageless.hub.HubException;
import org.imageless.hub.account.Accounts;
import org.imageless.hub.account.Role;
import org.imageless.hub.account.ServiceAccount;
import org.jdbi.v3.core.Jdbi;

/**
 * Creates, finds, lists and revokes tokens. A token is its kind's prefix and 32 random bytes
 * (base64url, 43 characters); the database keeps only its SHA-256, so a leaked database holds no
 * usable credential.
 */
public final class Tokens {

    /** Interactive login tokens last this long. */
    public static final Duration LOGIN_VALIDITY = Duration.ofDays(30);
    /** last_used_at is written at most this often per token, so authentication stays a read. */
    static final Duration LAST_USED_RESOLUTION = Duration.ofMinutes(1);
    static final Pattern FORM = Pattern.compile("flox_(pat|sat|lgn)_[A-Za-z0-9_-]{43}");

    private static final String COLUMNS =
            "id, kind, user_name, sa_org, sa_name, name, created_at, expires_at, last_used_at, revoked_at";

    private final Jdbi jdbi;
    private final Accounts accounts;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public Tokens(Jdbi jdbi, Accounts accounts, Clock clock) {
        this.jdbi = jdbi;
        this.accounts = accounts;
        this.clock = clock;
    }

    public IssuedToken createPersonal(String user, String name, Expiry expiry) {
        accounts.requireUser(user);
        return insert(TokenKind.PERSONAL, user, null, name, expiry);
    }

    /** A token from interactive login (device code): valid {@link #LOGIN_VALIDITY}. */
    public IssuedToken createLogin(String user, String name) {
        accounts.requireUser(user);
        return insert(TokenKind.LOGIN, user, null, name, Expiry.of(LOGIN_VALIDITY));
    }

    public IssuedToken createServiceAccountToken(String org, String account, String name, Expiry expiry) {
        ServiceAccount sa = accounts.serviceAccount(org, account).orElseThrow(() -> HubException.notFound(
                "organisation '%s' has no service account '%s': create it with 'floxhub admin service-account create %s %s --role reader'",
                org, account, org, account));
        return insert(TokenKind.SERVICE_ACCOUNT, null, sa, name, expiry);
    }

    private IssuedToken insert(TokenKind kind, String user, ServiceAccount sa, String name, Expiry expiry) {
        if (name.isBlank() || name.length() > 100) {
            throw HubException.invalid("token name '%s' is not valid: use 1-100 characters", name);
        }
        byte[] secretBytes = new byte[32];
        random.nextBytes(secretBytes);
        String secret = kind.prefix() + Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
        byte[] idBytes = new byte[8];
        random.nextBytes(idBytes);
        String id = HexFormat.of().formatHex(idBytes);
        Instant now = clock.instant();
        Optional<Instant> expires = expiry.duration().map(now::plus);
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO tokens (id, token_hash, kind, user_name, sa_org, sa_name, name, "
                        + "created_at, expires_at) VALUES (:id, :hash, :kind, :user, :org, :sa, :name, :created, :expires)")
                .bind("id", id).bind("hash", hash(secret)).bind("kind", kind.label())
                .bind("user", user).bind("org", sa == null ? null : sa.org()).bind("sa", sa == null ? null : sa.name())
                .bind("name", name).bind("created", now.toEpochMilli())
                .bind("expires", expires.map(Instant::toEpochMilli).orElse(null))
                .execute());
        String holder = user != null ? user : sa.org() + "/" + sa.name();
        return new IssuedToken(secret, new TokenInfo(id, kind, holder, name, Instant.ofEpochMilli(now.toEpochMilli()),
                expires.map(e -> Instant.ofEpochMilli(e.toEpochMilli())), Optional.empty(), Optional.empty()));
    }

    /** Whether {@code secret} has the shape of a hub token (prefix, length, alphabet). */
    public static boolean wellFormed(String secret) {
        return FORM.matcher(secret).matches();
    }

    /** The token with this secret, with the principal it stands for; empty when unknown. */
    Optional<Found> find(String secret) {
        return jdbi.withHandle(h -> h.createQuery("SELECT t." + COLUMNS.replace(", ", ", t.") + ", s.role AS sa_role "
                        + "FROM tokens t LEFT JOIN service_accounts s ON s.org = t.sa_org AND s.name = t.sa_name "
                        + "WHERE t.token_hash = :hash")
                .bind("hash", hash(secret))
                .map((rs, ctx) -> {
                    TokenInfo info = info(rs);
                    String role = rs.getString("sa_role");
                    Principal p = switch (info.kind()) {
                        case PERSONAL, LOGIN -> new Principal.User(info.holder(), info.id());
                        case SERVICE_ACCOUNT -> new Principal.ServiceAccount(rs.getString("sa_org"), rs.getString("sa_name"),
                                Role.parse(role), info.id());
                    };
                    return new Found(info, p);
                })
                .findOne());
    }

    record Found(TokenInfo info, Principal principal) {}

    /** Records a use of the token, writing at most once per {@link #LAST_USED_RESOLUTION}. */
    void touch(TokenInfo info) {
        Instant now = clock.instant();
        if (info.lastUsed().isPresent() && info.lastUsed().get().plus(LAST_USED_RESOLUTION).isAfter(now)) {
            return;
        }
        long cutoff = now.minus(LAST_USED_RESOLUTION).toEpochMilli();
        jdbi.useHandle(h -> h.createUpdate("UPDATE tokens SET last_used_at = :now WHERE id = :id "
                        + "AND (last_used_at IS NULL OR last_used_at <= :cutoff)")
                .bind("now", now.toEpochMilli()).bind("id", info.id()).bind("cutoff", cutoff).execute());
    }

    /** Revokes the token with {@code id}; revoking twice is not an error. */
    public TokenInfo revoke(String id) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE tokens SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL")
                .bind("now", clock.millis()).bind("id", id).execute());
        return byId(id).orElseThrow(() -> HubException.notFound(
                "no token has the id '%s': 'floxhub admin token list USER' shows the ids", id));
    }

    public Optional<TokenInfo> byId(String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM tokens WHERE id = :id")
                .bind("id", id).map((rs, ctx) -> info(rs)).findOne());
    }

    /** A user's tokens, newest first. */
    public List<TokenInfo> listForUser(String user) {
        accounts.requireUser(user);
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM tokens WHERE user_name = :u "
                        + "ORDER BY created_at DESC, id")
                .bind("u", user).map((rs, ctx) -> info(rs)).list());
    }

    /** A service account's tokens, newest first. */
    public List<TokenInfo> listForServiceAccount(String org, String account) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM tokens WHERE sa_org = :o AND sa_name = :n "
                        + "ORDER BY created_at DESC, id")
                .bind("o", org).bind("n", account).map((rs, ctx) -> info(rs)).list());
    }

    private static TokenInfo info(ResultSet rs) throws SQLException {
        TokenKind kind = TokenKind.ofLabel(rs.getString("kind"));
        String holder = kind == TokenKind.SERVICE_ACCOUNT
                ? rs.getString("sa_org") + "/" + rs.getString("sa_name") : rs.getString("user_name");
        return new TokenInfo(rs.getString("id"), kind, holder, rs.getString("name"),
                Instant.ofEpochMilli(rs.getLong("created_at")),
                instant(rs, "expires_at"), instant(rs, "last_used_at"), instant(rs, "revoked_at"));
    }

    private static Optional<Instant> instant(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(v));
    }

    static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
