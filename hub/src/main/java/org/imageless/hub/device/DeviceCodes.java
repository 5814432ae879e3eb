package org.imageless.hub.device;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import org.imageless.hub.HubException;
import org.imageless.hub.auth.IssuedToken;
import org.imageless.hub.auth.Tokens;
import org.jdbi.v3.core.Jdbi;

/**
 * Device-code login (RFC 8628). {@link #issue} makes a code pair: the device code stays with the
 * CLI, which {@link #poll}s with it; the user code is typed (or opened from a link) in the web UI,
 * where a signed-in user {@link #approve}s or {@link #deny}s it. The first poll after approval gets a
 * {@link Tokens#createLogin login token} ({@code flox_lgn_…}, 30 days), exactly once. Only SHA-256
 * of both codes is stored.
 */
public final class DeviceCodes {

    /** How long a code pair can be approved and redeemed. */
    public static final Duration LIFETIME = Duration.ofMinutes(10);
    /** The minimum time between two polls; RFC 8628 adds 5 s per {@code slow_down}. */
    public static final Duration INTERVAL = Duration.ofSeconds(2);
    static final Duration SLOW_DOWN_STEP = Duration.ofSeconds(5);
    /** Expired code pairs are deleted this long after their expiry (so a late poll still hears "expired"). */
    static final Duration KEEP_EXPIRED = Duration.ofDays(1);
    /** RFC 8628 §6.1: consonants only, so no words are spelled; 20^8 codes. */
    static final String USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";

    private final Jdbi jdbi;
    private final Tokens tokens;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public DeviceCodes(Jdbi jdbi, Tokens tokens, Clock clock) {
        this.jdbi = jdbi;
        this.tokens = tokens;
        this.clock = clock;
    }

    /** A new code pair; the only time the device code and the user code exist in clear. */
    public record Issued(String deviceCode, String userCode, Duration expiresIn, Duration interval) {
        @Override
        public String toString() {
            return "Issued[userCode=" + userCode + "]";
        }
    }

    /** A code pair waiting for the user, as the approval page shows it. */
    public record Pending(String userCode, String clientName, Instant created, Instant expires) {}

    /** The answer to a poll. */
    public sealed interface Poll {
        /** The user has not answered yet; poll again after the interval. */
        record AuthorizationPending() implements Poll {}

        /** Polled sooner than the interval: wait {@code interval} from now on. */
        record SlowDown(Duration interval) implements Poll {}

        record Expired() implements Poll {}

        record Denied() implements Poll {}

        /** Unknown device code, or already redeemed. */
        record Invalid(String reason) implements Poll {}

        record Granted(IssuedToken token, String user) implements Poll {
            @Override
            public String toString() {
                return "Granted[user=" + user + "]";
            }
        }
    }

    public Issued issue(String clientName) {
        String name = clientName == null || clientName.isBlank() ? "flox CLI" : clientName.strip();
        if (name.length() > 100 || name.chars().anyMatch(Character::isISOControl)) {
            throw HubException.invalid("client_name is not valid: use at most 100 printable characters");
        }
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String deviceCode = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        StringBuilder user = new StringBuilder(9);
        for (int i = 0; i < 8; i++) {
            if (i == 4) {
                user.append('-');
            }
            user.append(USER_CODE_ALPHABET.charAt(random.nextInt(USER_CODE_ALPHABET.length())));
        }
        String userCode = user.toString();
        Instant now = clock.instant();
        jdbi.useTransaction(h -> {
            h.createUpdate("DELETE FROM device_codes WHERE expires_at < :cutoff")
                    .bind("cutoff", now.minus(KEEP_EXPIRED).toEpochMilli()).execute();
            h.createUpdate("""
                            INSERT INTO device_codes (device_code_hash, user_code_hash, client_name, created_at, expires_at, interval_ms)
                            VALUES (:d, :u, :c, :t, :e, :i)""")
                    .bind("d", hash(deviceCode)).bind("u", hash(normalise(userCode))).bind("c", name)
                    .bind("t", now.toEpochMilli()).bind("e", now.plus(LIFETIME).toEpochMilli())
                    .bind("i", INTERVAL.toMillis()).execute();
        });
        return new Issued(deviceCode, userCode, LIFETIME, INTERVAL);
    }

    /**
     * The canonical form of a user code as typed: upper case, without dashes and spaces.
     * INVALID, with the expected form, when it cannot be a user code.
     */
    public static String normalise(String typed) {
        String s = typed == null ? "" : typed.toUpperCase(Locale.ROOT).replaceAll("[\\s-]", "");
        if (s.length() != 8 || s.chars().anyMatch(c -> USER_CODE_ALPHABET.indexOf(c) < 0)) {
            throw HubException.invalid("'%s' is not a device code: it has 8 letters such as BCDF-GHJK, as shown by 'flox auth login'",
                    typed == null ? "" : typed.length() > 20 ? typed.substring(0, 20) + "…" : typed);
        }
        return s;
    }

    /** The pending code pair with this user code; NOT_FOUND (saying why) when it is unknown, expired or already answered. */
    public Pending pending(String typedUserCode) {
        String code = normalise(typedUserCode);
        Row row = jdbi.withHandle(h -> h.createQuery("""
                        SELECT client_name, created_at, expires_at, approved_at, denied_at FROM device_codes
                        WHERE user_code_hash = :u""")
                .bind("u", hash(code))
                .map((rs, ctx) -> new Row(rs.getString("client_name"), rs.getLong("created_at"), rs.getLong("expires_at"),
                        rs.getObject("approved_at") != null, rs.getObject("denied_at") != null))
                .findOne()).orElseThrow(() -> HubException.notFound(
                "no login is waiting for code %s: check the code in your terminal, or run 'flox auth login' again", display(code)));
        if (row.approved || row.denied) {
            throw HubException.conflict("code %s was already %s: run 'flox auth login' again for a new code",
                    display(code), row.approved ? "approved" : "denied");
        }
        if (clock.millis() >= row.expires) {
            throw HubException.notFound("code %s expired at %s: run 'flox auth login' again for a new code",
                    display(code), Instant.ofEpochMilli(row.expires));
        }
        return new Pending(display(code), row.clientName, Instant.ofEpochMilli(row.created), Instant.ofEpochMilli(row.expires));
    }

    private record Row(String clientName, long created, long expires, boolean approved, boolean denied) {}

    /** Approves the login waiting for {@code typedUserCode} as {@code user}; the CLI's next poll gets a token. */
    public Pending approve(String typedUserCode, String user) {
        Pending p = pending(typedUserCode);
        answer(p, "approved_by = :user, approved_at = :now", user);
        return p;
    }

    /** Refuses the login waiting for {@code typedUserCode}; the CLI's next poll hears {@code access_denied}. */
    public Pending deny(String typedUserCode) {
        Pending p = pending(typedUserCode);
        answer(p, "denied_at = :now", null);
        return p;
    }

    private void answer(Pending p, String set, String user) {
        int updated = jdbi.withHandle(h -> {
            var update = h.createUpdate("UPDATE device_codes SET " + set + " WHERE user_code_hash = :u "
                            + "AND approved_at IS NULL AND denied_at IS NULL AND expires_at > :now")
                    .bind("u", hash(normalise(p.userCode()))).bind("now", clock.millis());
            if (user != null) {
                update.bind("user", user);
            }
            return update.execute();
        });
        if (updated == 0) {
            throw HubException.conflict("code %s was answered or expired meanwhile: run 'flox auth login' again", p.userCode());
        }
    }

    /** What the CLI polling with {@code deviceCode} gets now. */
    public Poll poll(String deviceCode) {
        if (deviceCode == null || deviceCode.isBlank()) {
            return new Poll.Invalid("device_code is missing: send the device_code from POST /api/v1/auth/device/code");
        }
        String h = hash(deviceCode);
        Instant now = clock.instant();
        Optional<PollRow> found = jdbi.withHandle(handle -> handle.createQuery("""
                        SELECT client_name, expires_at, interval_ms, last_polled_at, approved_by, denied_at, redeemed_at
                        FROM device_codes WHERE device_code_hash = :d""")
                .bind("d", h)
                .map((rs, ctx) -> new PollRow(rs.getString("client_name"), rs.getLong("expires_at"), rs.getLong("interval_ms"),
                        (Long) nullable(rs.getLong("last_polled_at"), rs.wasNull()), rs.getString("approved_by"),
                        rs.getObject("denied_at") != null, rs.getObject("redeemed_at") != null))
                .findOne());
        if (found.isEmpty()) {
            return new Poll.Invalid("the device code is not known to this hub: run 'flox auth login' again");
        }
        PollRow row = found.get();
        if (row.redeemed) {
            return new Poll.Invalid("the device code was already used to get a token: run 'flox auth login' again");
        }
        if (now.toEpochMilli() >= row.expires) {
            return new Poll.Expired();
        }
        if (row.denied) {
            return new Poll.Denied();
        }
        if (row.approvedBy != null) {
            int claimed = jdbi.withHandle(handle -> handle.createUpdate(
                            "UPDATE device_codes SET redeemed_at = :now WHERE device_code_hash = :d AND redeemed_at IS NULL")
                    .bind("now", now.toEpochMilli()).bind("d", h).execute());
            if (claimed == 0) {
                return new Poll.Invalid("the device code was already used to get a token: run 'flox auth login' again");
            }
            String name = ("device login: " + row.clientName);
            IssuedToken token = tokens.createLogin(row.approvedBy, name.length() > 100 ? name.substring(0, 100) : name);
            return new Poll.Granted(token, row.approvedBy);
        }
        boolean tooSoon = row.lastPolled != null && now.toEpochMilli() < row.lastPolled + row.interval;
        long interval = tooSoon ? row.interval + SLOW_DOWN_STEP.toMillis() : row.interval;
        jdbi.useHandle(handle -> handle.createUpdate(
                        "UPDATE device_codes SET last_polled_at = :now, interval_ms = :i WHERE device_code_hash = :d")
                .bind("now", now.toEpochMilli()).bind("i", interval).bind("d", h).execute());
        return tooSoon ? new Poll.SlowDown(Duration.ofMillis(interval)) : new Poll.AuthorizationPending();
    }

    private record PollRow(String clientName, long expires, long interval, Long lastPolled, String approvedBy,
                           boolean denied, boolean redeemed) {}

    private static Object nullable(long value, boolean wasNull) {
        return wasNull ? null : value;
    }

    /** {@code ABCDEFGH} → {@code ABCD-EFGH}. */
    static String display(String normalised) {
        return normalised.substring(0, 4) + "-" + normalised.substring(4);
    }

    static String hash(String code) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(code.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
