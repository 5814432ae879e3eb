package org.imageless.hub.admin;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.imageless.hub.Hub;
import org.imageless.hub.HubException;
import org.imageless.hub.HubOptions;
import org.imageless.hub.account.Role;
import org.imageless.hub.auth.Expiry;
import org.imageless.hub.auth.IssuedToken;
import org.imageless.hub.auth.TokenInfo;
import org.imageless.nix.NixException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code floxhub admin …}: works on the same data directory and database as a running hub (SQLite
 * allows it beside the server; PostgreSQL naturally). Output goes to stdout, made for scripts.
 */
@Command(name = "admin", mixinStandardHelpOptions = true, description = "Administer users, organisations, tokens and the cache key.",
        subcommands = {AdminCommand.CacheKey.class, AdminCommand.User.class, AdminCommand.Org.class,
                AdminCommand.Token.class, AdminCommand.ServiceAccountCmd.class})
public final class AdminCommand {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ISO_LOCAL_DATE_TIME.withZone(ZoneOffset.UTC);

    /** The shape of every admin command: open the hub, do one thing, close it. */
    abstract static class Base implements Callable<Integer> {
        @Mixin
        HubOptions options;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public final Integer call() throws IOException {
            try (Hub hub = Hub.open(options.config())) {
                run(hub, spec.commandLine().getOut());
            }
            spec.commandLine().getOut().flush();
            return 0;
        }

        abstract void run(Hub hub, PrintWriter out) throws IOException;
    }

    @Command(name = "cache-key", mixinStandardHelpOptions = true,
            description = "Print the binary cache's public key (name:base64), for nodes' trusted-public-keys.")
    static final class CacheKey extends Base {
        @Override
        void run(Hub hub, PrintWriter out) {
            out.println(hub.signingKey().publicKey());
        }
    }

    @Command(name = "user", mixinStandardHelpOptions = true, description = "Users.", subcommands = User.Create.class)
    static final class User {
        @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a user; their name becomes a namespace they own.")
        static final class Create extends Base {
            @Parameters(paramLabel = "NAME")
            String name;
            @Option(names = "--password-file", paramLabel = "FILE", required = true,
                    description = "File holding the password (its trailing newline is ignored); '-' reads standard input.")
            String passwordFile;

            @Override
            void run(Hub hub, PrintWriter out) throws IOException {
                String text = passwordFile.equals("-")
                        ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                        : readPasswordFile(Path.of(passwordFile));
                char[] password = text.replaceFirst("\\r?\\n$", "").toCharArray();
                hub.accounts().createUser(name, password);
                out.println("created user " + name);
            }
        }
    }

    private static String readPasswordFile(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new NixException(NixException.Kind.IO, "cannot read the password file " + file + ": " + e.getMessage(), e);
        }
    }

    @Command(name = "org", mixinStandardHelpOptions = true, description = "Organisations.",
            subcommands = {Org.Create.class, Org.AddMember.class})
    static final class Org {
        @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an organisation.")
        static final class Create extends Base {
            @Parameters(paramLabel = "ORG")
            String org;

            @Override
            void run(Hub hub, PrintWriter out) {
                hub.accounts().createOrg(org);
                out.println("created organisation " + org);
            }
        }

        @Command(name = "add-member", mixinStandardHelpOptions = true,
                description = "Add a user to an organisation, or change their role: owner, writer or reader.")
        static final class AddMember extends Base {
            @Parameters(index = "0", paramLabel = "ORG")
            String org;
            @Parameters(index = "1", paramLabel = "USER")
            String user;
            @Parameters(index = "2", paramLabel = "ROLE")
            String role;

            @Override
            void run(Hub hub, PrintWriter out) {
                Role r = Role.parse(role);
                hub.accounts().addMember(org, user, r);
                out.println(user + " is " + r.label() + " of " + org);
            }
        }
    }

    @Command(name = "token", mixinStandardHelpOptions = true, description = "Personal tokens.",
            subcommands = {Token.Create.class, Token.Revoke.class, Token.ListTokens.class})
    static final class Token {
        @Command(name = "create", mixinStandardHelpOptions = true,
                description = "Create a personal token for USER and print it (it is shown only this once).")
        static final class Create extends Base {
            @Parameters(paramLabel = "USER")
            String user;
            @Option(names = "--name", paramLabel = "N", defaultValue = "admin-created", description = "What the token is for (default: ${DEFAULT-VALUE}).")
            String name;
            @Option(names = "--expires", paramLabel = "30d|90d|1y|never", defaultValue = "90d", description = "Lifetime (default: ${DEFAULT-VALUE}).")
            String expires;

            @Override
            void run(Hub hub, PrintWriter out) {
                IssuedToken t = hub.tokens().createPersonal(user, name, Expiry.parse(expires));
                printIssued(spec.commandLine().getErr(), t);
                out.println(t.secret());
            }
        }

        @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token by its id.")
        static final class Revoke extends Base {
            @Parameters(paramLabel = "ID")
            String id;

            @Override
            void run(Hub hub, PrintWriter out) {
                TokenInfo t = hub.tokens().revoke(id);
                out.println("revoked token " + t.id() + " ('" + t.name() + "') of " + t.holder());
            }
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "List a user's tokens (never the tokens themselves).")
        static final class ListTokens extends Base {
            @Parameters(paramLabel = "USER")
            String user;

            @Override
            void run(Hub hub, PrintWriter out) {
                printTable(out, hub.tokens().listForUser(user), hub.clock().instant());
            }
        }
    }

    @Command(name = "service-account", mixinStandardHelpOptions = true, description = "Service accounts of organisations.",
            subcommands = {ServiceAccountCmd.Create.class, ServiceAccountCmd.TokenCmd.class})
    static final class ServiceAccountCmd {
        @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a service account with a fixed role in ORG.")
        static final class Create extends Base {
            @Parameters(index = "0", paramLabel = "ORG")
            String org;
            @Parameters(index = "1", paramLabel = "NAME")
            String name;
            @Option(names = "--role", paramLabel = "reader|writer", required = true)
            String role;

            @Override
            void run(Hub hub, PrintWriter out) {
                var sa = hub.accounts().createServiceAccount(org, name, Role.parse(role));
                out.println("created service account " + sa.org() + "/" + sa.name() + " (" + sa.role().label() + ")");
            }
        }

        @Command(name = "token", mixinStandardHelpOptions = true, description = "Tokens of service accounts.",
                subcommands = {TokenCmd.Create.class, TokenCmd.ListTokens.class})
        static final class TokenCmd {
            @Command(name = "create", mixinStandardHelpOptions = true,
                    description = "Create a token for service account ORG/NAME and print it (shown only this once).")
            static final class Create extends Base {
                @Parameters(index = "0", paramLabel = "ORG")
                String org;
                @Parameters(index = "1", paramLabel = "NAME")
                String name;
                @Option(names = "--name", paramLabel = "N", defaultValue = "admin-created")
                String tokenName;
                @Option(names = "--expires", paramLabel = "30d|90d|1y|never", defaultValue = "90d")
                String expires;

                @Override
                void run(Hub hub, PrintWriter out) {
                    IssuedToken t = hub.tokens().createServiceAccountToken(org, name, tokenName, Expiry.parse(expires));
                    printIssued(spec.commandLine().getErr(), t);
                    out.println(t.secret());
                }
            }

            @Command(name = "list", mixinStandardHelpOptions = true, description = "List a service account's tokens.")
            static final class ListTokens extends Base {
                @Parameters(index = "0", paramLabel = "ORG")
                String org;
                @Parameters(index = "1", paramLabel = "NAME")
                String name;

                @Override
                void run(Hub hub, PrintWriter out) {
                    if (hub.accounts().serviceAccount(org, name).isEmpty()) {
                        throw HubException.notFound("organisation '%s' has no service account '%s'", org, name);
                    }
                    printTable(out, hub.tokens().listForServiceAccount(org, name), hub.clock().instant());
                }
            }
        }
    }

    private static void printIssued(PrintWriter err, IssuedToken t) {
        err.println("token " + t.info().id() + " ('" + t.info().name() + "') for " + t.info().holder() + ", expires "
                + t.info().expires().map(TIME::format).orElse("never") + "; it is shown only now:");
        err.flush();
    }

    private static void printTable(PrintWriter out, java.util.List<TokenInfo> tokens, Instant now) {
        out.printf("%-16s %-15s %-20s %-19s %-19s %-19s %s%n", "ID", "KIND", "NAME", "CREATED", "EXPIRES", "LAST USED", "STATUS");
        for (TokenInfo t : tokens) {
            String status = t.revoked().isPresent() ? "revoked" : t.expiredAt(now) ? "expired" : "active";
            out.printf("%-16s %-15s %-20s %-19s %-19s %-19s %s%n", t.id(), t.kind().label(), t.name(),
                    TIME.format(t.created()), fmt(t.expires(), "never"), fmt(t.lastUsed(), "-"), status);
        }
    }

    private static String fmt(Optional<Instant> t, String none) {
        return t.map(TIME::format).orElse(none);
    }
}
