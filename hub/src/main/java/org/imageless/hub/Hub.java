package org.imageless.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import org.imageless.hub.account.Accounts;
import org.imageless.hub.account.Passwords;
import org.imageless.hub.auth.Access;
import org.imageless.hub.auth.Authenticator;
import org.imageless.hub.auth.Tokens;
import org.imageless.hub.db.Database;
import org.imageless.hub.environment.Environments;
import org.imageless.hub.environment.FloxmetaStore;
import org.imageless.nix.NixException;
import org.imageless.nix.sign.SigningKey;

/**
 * The hub's state and services, opened once and shared by the server and the admin commands: the
 * data directory, the database (migrated), the signing key (created on first open), accounts,
 * tokens, the authenticator and the access policy. Features (environments, git, cache) take what
 * they need from here.
 *
 * <p>Data directory layout: {@code floxhub.db} (embedded SQLite, absent with PostgreSQL),
 * {@code cache-key.sec}/{@code cache-key.pub}; features add their own subdirectories
 * ({@link #dataDir(String)}).
 */
public final class Hub implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Hub.class);

    private final HubConfig config;
    private final Database database;
    private final SigningKey signingKey;
    private final Clock clock;
    private final Accounts accounts;
    private final Tokens tokens;
    private final Authenticator authenticator;
    private final Access access;
    private final Environments environments;

    private Hub(HubConfig config, Database database, SigningKey signingKey, Clock clock, Passwords passwords) {
        this.config = config;
        this.database = database;
        this.signingKey = signingKey;
        this.clock = clock;
        this.accounts = new Accounts(database.jdbi(), passwords, clock);
        this.tokens = new Tokens(database.jdbi(), accounts, clock);
        this.authenticator = new Authenticator(tokens, clock);
        this.access = new Access(accounts);
        this.environments = new Environments(database.jdbi(), new FloxmetaStore(config.dataDir().resolve("git")), clock);
    }

    public static Hub open(HubConfig config) {
        return open(config, Clock.systemUTC(), new Passwords());
    }

    /** With a clock and password hashing of one's choice: for tests. */
    public static Hub open(HubConfig config, Clock clock, Passwords passwords) {
        Path dataDir = config.dataDir().toAbsolutePath();
        try {
            if (!Files.isDirectory(dataDir)) {
                Files.createDirectories(dataDir,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new NixException(NixException.Kind.IO, "cannot create the data directory " + dataDir + ": " + e.getMessage(), e);
        }
        SigningKey key = CacheKeys.loadOrCreate(dataDir, config.publicUrl().getHost());
        Database db = Database.open(config.dbUrl().orElseGet(() -> Database.sqliteUrl(dataDir)));
        Hub hub = new Hub(new HubConfig(dataDir, config.dbUrl(), config.publicUrl()), db, key, clock, passwords);
        try {
            // a hub killed between a push's branch update and its row insert left an environment without a row
            for (String healed : hub.environments.recordUnrecordedBranches()) {
                LOG.warn("environment {} had a branch but no record (the hub stopped during its push): recorded it as public", healed);
            }
        } catch (RuntimeException e) {
            hub.close();
            throw e;
        }
        return hub;
    }

    /** The data directory, absolute. */
    public Path dataDir() {
        return config.dataDir();
    }

    /** A feature's own subdirectory of the data directory ({@code git}, {@code cache}, …), created if missing. */
    public Path dataDir(String feature) {
        Path dir = config.dataDir().resolve(feature);
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new NixException(NixException.Kind.IO, "cannot create " + dir + ": " + e.getMessage(), e);
        }
    }

    public URI publicUrl() {
        return config.publicUrl();
    }

    public Database database() {
        return database;
    }

    /** The binary cache's signing key: sign narinfos with it; its public half is what nodes trust. */
    public SigningKey signingKey() {
        return signingKey;
    }

    public Clock clock() {
        return clock;
    }

    public Accounts accounts() {
        return accounts;
    }

    public Tokens tokens() {
        return tokens;
    }

    public Authenticator authenticator() {
        return authenticator;
    }

    public Access access() {
        return access;
    }

    /** Environments: the table of visibility and times, and their generations in the owners' floxmeta repositories ({@code <data>/git}). */
    public Environments environments() {
        return environments;
    }

    @Override
    public void close() {
        database.close();
    }
}
