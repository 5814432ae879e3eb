package org.imageless.hub.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.imageless.hub.HubException;
import org.jdbi.v3.core.Jdbi;

/**
 * The hub's database: the embedded SQLite file in the data directory by default, PostgreSQL when a
 * {@code jdbc:postgresql:} URL is given. Opening it migrates the schema with Flyway (the scripts in
 * {@code db/migration/common} are written to run on both, vendor-only ones go in
 * {@code db/migration/<vendor>}). Every query goes through {@link #jdbi()}.
 */
public final class Database implements AutoCloseable {

    public enum Vendor {
        SQLITE("sqlite"), POSTGRESQL("postgresql");

        private final String directory;

        Vendor(String directory) {
            this.directory = directory;
        }
    }

    /** The SQLite file's name inside the data directory. */
    public static final String SQLITE_FILE = "floxhub.db";

    private final HikariDataSource dataSource;
    private final Jdbi jdbi;
    private final Vendor vendor;

    private Database(HikariDataSource dataSource, Vendor vendor) {
        this.dataSource = dataSource;
        this.vendor = vendor;
        this.jdbi = Jdbi.create(dataSource);
    }

    /** The JDBC URL of the embedded database in {@code dataDir}. */
    public static String sqliteUrl(Path dataDir) {
        return "jdbc:sqlite:" + dataDir.toAbsolutePath().resolve(SQLITE_FILE);
    }

    /** Opens the database at {@code jdbcUrl} and brings its schema up to date. */
    public static Database open(String jdbcUrl) {
        Vendor vendor;
        HikariConfig config = new HikariConfig();
        config.setPoolName("floxhub-db");
        if (jdbcUrl.startsWith("jdbc:sqlite:")) {
            vendor = Vendor.SQLITE;
            // WAL lets readers run beside the one writer; busy_timeout makes writers wait instead of failing.
            config.setJdbcUrl(jdbcUrl);
            config.addDataSourceProperty("journal_mode", "WAL");
            config.addDataSourceProperty("busy_timeout", "10000");
            config.addDataSourceProperty("foreign_keys", "true");
            config.addDataSourceProperty("synchronous", "NORMAL");
            config.setMaximumPoolSize(4);
        } else if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            vendor = Vendor.POSTGRESQL;
            config.setJdbcUrl(jdbcUrl);
            config.setMaximumPoolSize(10);
        } else {
            throw HubException.invalid("database URL '%s' is not supported: use jdbc:sqlite:FILE or jdbc:postgresql://HOST/DB",
                    redact(jdbcUrl));
        }
        config.setConnectionTimeout(10_000);
        config.setInitializationFailTimeout(10_000);
        HikariDataSource ds;
        try {
            ds = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw HubException.unavailable("cannot connect to the database at " + redact(jdbcUrl) + ": " + rootMessage(e), e);
        }
        try {
            migrate(ds, vendor);
        } catch (RuntimeException e) {
            ds.close();
            throw HubException.unavailable("cannot migrate the database at " + redact(jdbcUrl) + ": " + rootMessage(e), e);
        }
        return new Database(ds, vendor);
    }

    private static void migrate(DataSource ds, Vendor vendor) {
        Flyway.configure()
                .dataSource(ds)
                .locations("classpath:db/migration/common", "classpath:db/migration/" + vendor.directory)
                .failOnMissingLocations(false)
                .load()
                .migrate();
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    public Vendor vendor() {
        return vendor;
    }

    /** Runs a trivial query; throws {@link HubException.Kind#UNAVAILABLE} when the database does not answer. */
    public void ping() {
        try {
            jdbi.withHandle(h -> h.createQuery("SELECT 1").mapTo(Integer.class).one());
        } catch (RuntimeException e) {
            throw HubException.unavailable("the database does not answer: " + rootMessage(e), e);
        }
    }

    @Override
    public void close() {
        dataSource.close();
    }

    /** A JDBC URL without its query string and user info, which may hold a password. */
    static String redact(String url) {
        String s = url;
        int q = s.indexOf('?');
        if (q >= 0) {
            s = s.substring(0, q) + "?…";
        }
        int at = s.indexOf('@');
        int scheme = s.indexOf("//");
        if (at >= 0 && scheme >= 0 && at > scheme) {
            s = s.substring(0, scheme + 2) + "…@" + s.substring(at + 1);
        }
        return s;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
