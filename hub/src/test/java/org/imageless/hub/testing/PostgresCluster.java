package org.imageless.hub.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A private PostgreSQL cluster (Debian {@code postgresql}) for tests: initdb and pg_ctl in a temp
 * directory, on a free loopback port, trust authentication. One per test JVM, started on first use
 * and stopped by a shutdown hook; each test gets a fresh database from {@link #createDatabase()}.
 * PostgreSQL refuses to run as root, so as root it runs as the {@code postgres} system user.
 * Fails loudly when PostgreSQL is not installed: {@code make test} installs it.
 */
public final class PostgresCluster {

    private static PostgresCluster shared;

    private final Path dir;
    private final Path bin;
    private final int port;
    private final boolean asPostgresUser;
    private final AtomicInteger databases = new AtomicInteger();

    private PostgresCluster(Path dir, Path bin, int port, boolean asPostgresUser) {
        this.dir = dir;
        this.bin = bin;
        this.port = port;
        this.asPostgresUser = asPostgresUser;
    }

    /** The cluster of this test JVM, started on first call. */
    public static synchronized PostgresCluster shared() {
        if (shared == null) {
            shared = start();
            PostgresCluster c = shared;
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(c::stop));
        }
        return shared;
    }

    /** A new empty database; returns its JDBC URL. */
    public String createDatabase() {
        String name = "floxhub_test_" + databases.incrementAndGet();
        try (Connection c = DriverManager.getConnection(url("postgres")); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new AssertionError("cannot create database " + name + " in the test cluster: " + e.getMessage(), e);
        }
        return url(name);
    }

    public int port() {
        return port;
    }

    private String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=postgres";
    }

    static Path findBinaries() {
        Path root = Path.of("/usr/lib/postgresql");
        try (Stream<Path> versions = Files.exists(root) ? Files.list(root) : Stream.empty()) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                    .max(Comparator.comparingInt(b -> version(b.getParent())))
                    .orElseThrow(() -> new AssertionError("PostgreSQL is required for these tests and is not installed "
                            + "(no /usr/lib/postgresql/<version>/bin/initdb; Debian package postgresql; 'make test' installs it)"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int version(Path dir) {
        try {
            return Integer.parseInt(dir.getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static PostgresCluster start() {
        Path bin = findBinaries();
        boolean root = "root".equals(System.getProperty("user.name"));
        try {
            Path dir = Files.createTempDirectory("floxhub-pg-");
            if (root) {
                chownToPostgres(dir);
            }
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            PostgresCluster c = new PostgresCluster(dir, bin, port, root);
            c.run(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", "postgres",
                    "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"), 120);
            c.run(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l", dir.resolve("log").toString(),
                    "-w", "-t", "60", "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off "
                            + "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                    "start"), 90);
            return c;
        } catch (IOException e) {
            throw new AssertionError("cannot start the test PostgreSQL cluster: " + e.getMessage(), e);
        }
    }

    private static void chownToPostgres(Path dir) throws IOException {
        UserPrincipalLookupService lookup = dir.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal user;
        try {
            user = lookup.lookupPrincipalByName("postgres");
        } catch (IOException e) {
            throw new AssertionError("running as root, the tests need the 'postgres' system user "
                    + "(created by the Debian package postgresql): " + e.getMessage());
        }
        GroupPrincipal group = lookup.lookupPrincipalByGroupName("postgres");
        PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
        view.setOwner(user);
        view.setGroup(group);
    }

    private void run(List<String> command, int timeoutSeconds) {
        List<String> full = new ArrayList<>();
        if (asPostgresUser) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        try {
            Process p = new ProcessBuilder(full).directory(dir.toFile()).redirectErrorStream(true).start();
            // read before waiting: a full pipe would block the child
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + full);
            }
            if (p.exitValue() != 0) {
                String log = Files.exists(dir.resolve("log")) ? Files.readString(dir.resolve("log")) : "";
                throw new AssertionError(full + " exited " + p.exitValue() + ": " + new String(out, StandardCharsets.UTF_8) + log);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + full + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Stops the server (fast: the data is throwaway) and deletes its directory. */
    public void stop() {
        try {
            run(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop"), 60);
        } catch (AssertionError e) {
            System.err.println("test PostgreSQL cluster did not stop cleanly: " + e.getMessage());
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // best effort: it is a temp directory
        }
    }
}
