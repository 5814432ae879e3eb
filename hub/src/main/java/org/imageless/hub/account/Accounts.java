package org.imageless.hub.account;

import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.imageless.hub.HubException;
import org.imageless.hub.db.Constraints;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** Users, organisations, memberships and service accounts, in the hub's database. */
public final class Accounts {

    private final Jdbi jdbi;
    private final Passwords passwords;
    private final Clock clock;

    public Accounts(Jdbi jdbi, Passwords passwords, Clock clock) {
        this.jdbi = jdbi;
        this.passwords = passwords;
        this.clock = clock;
    }

    /** Creates a user, whose own name becomes a namespace they own. */
    public void createUser(String name, char[] password) {
        Names.owner(name);
        if (password.length < 8) {
            throw HubException.invalid("the password of '%s' is too short: use at least 8 characters", name);
        }
        String hash = passwords.hash(password);
        insertOwner(name, Owner.Kind.USER, h -> h.createUpdate("INSERT INTO users (name, password_hash) VALUES (:n, :p)")
                .bind("n", name).bind("p", hash).execute());
    }

    public void createOrg(String name) {
        Names.owner(name);
        insertOwner(name, Owner.Kind.ORG, h -> {});
    }

    private void insertOwner(String name, Owner.Kind kind, java.util.function.Consumer<Handle> rest) {
        try {
            jdbi.useTransaction(h -> {
                Optional<Owner> existing = owner(h, name);
                if (existing.isPresent()) {
                    throw taken(existing.get());
                }
                h.createUpdate("INSERT INTO owners (name, kind, created_at) VALUES (:n, :k, :t)")
                        .bind("n", name).bind("k", kind == Owner.Kind.USER ? "user" : "org")
                        .bind("t", clock.millis()).execute();
                rest.accept(h);
            });
        } catch (RuntimeException e) {
            if (!(e instanceof HubException) && Constraints.violated(e)) {
                throw HubException.conflict("the name '%s' is already taken by another user or organisation", name);
            }
            throw e;
        }
    }

    private static HubException taken(Owner o) {
        return HubException.conflict("the name '%s' is already taken by %s", o.name(),
                o.kind() == Owner.Kind.USER ? "a user" : "an organisation");
    }

    /** Adds {@code user} to {@code org} with {@code role}, or changes their role if already a member. */
    public void addMember(String org, String user, Role role) {
        if (role == Role.NONE) {
            throw HubException.invalid("role 'none' cannot be given: use owner, writer or reader");
        }
        jdbi.useTransaction(h -> {
            requireOrg(h, org);
            requireUser(h, user);
            int updated = h.createUpdate("UPDATE memberships SET role = :r WHERE org = :o AND member = :u")
                    .bind("r", role.label()).bind("o", org).bind("u", user).execute();
            if (updated == 0) {
                h.createUpdate("INSERT INTO memberships (org, member, role) VALUES (:o, :u, :r)")
                        .bind("r", role.label()).bind("o", org).bind("u", user).execute();
            }
        });
    }

    public Optional<Owner> owner(String name) {
        return jdbi.withHandle(h -> owner(h, name));
    }

    private static Optional<Owner> owner(Handle h, String name) {
        return h.createQuery("SELECT kind FROM owners WHERE name = :n").bind("n", name)
                .mapTo(String.class).findOne()
                .map(k -> new Owner(name, k.equals("user") ? Owner.Kind.USER : Owner.Kind.ORG));
    }

    public boolean userExists(String name) {
        return owner(name).filter(o -> o.kind() == Owner.Kind.USER).isPresent();
    }

    /** The organisations {@code user} belongs to, by name. */
    public List<Membership> memberships(String user) {
        return jdbi.withHandle(h -> h.createQuery("SELECT org, role FROM memberships WHERE member = :u ORDER BY org")
                .bind("u", user)
                .map((rs, ctx) -> new Membership(rs.getString("org"), Role.parse(rs.getString("role"))))
                .list());
    }

    /** {@code user}'s role in {@code org}, {@link Role#NONE} when not a member. */
    public Role memberRole(String org, String user) {
        return jdbi.withHandle(h -> h.createQuery("SELECT role FROM memberships WHERE org = :o AND member = :u")
                .bind("o", org).bind("u", user).mapTo(String.class).findOne().map(Role::parse).orElse(Role.NONE));
    }

    /** Whether {@code password} is {@code user}'s; false for unknown users (after the same work, so timing does not tell). */
    public boolean checkPassword(String user, char[] password) {
        Optional<String> stored = jdbi.withHandle(h -> h.createQuery("SELECT password_hash FROM users WHERE name = :n")
                .bind("n", user).mapTo(String.class).findOne());
        if (stored.isEmpty()) {
            passwords.hash(password);
            return false;
        }
        return passwords.verify(password, stored.get());
    }

    public ServiceAccount createServiceAccount(String org, String name, Role role) {
        Names.serviceAccount(name);
        if (role != Role.READER && role != Role.WRITER) {
            throw HubException.invalid("a service account's role is reader or writer, not '%s'", role.label());
        }
        try {
            jdbi.useTransaction(h -> {
                requireOrg(h, org);
                if (serviceAccount(h, org, name).isPresent()) {
                    throw HubException.conflict("organisation '%s' already has a service account '%s'", org, name);
                }
                h.createUpdate("INSERT INTO service_accounts (org, name, role, created_at) VALUES (:o, :n, :r, :t)")
                        .bind("o", org).bind("n", name).bind("r", role.label()).bind("t", clock.millis()).execute();
            });
        } catch (RuntimeException e) {
            if (!(e instanceof HubException) && Constraints.violated(e)) {
                throw HubException.conflict("organisation '%s' already has a service account '%s'", org, name);
            }
            throw e;
        }
        return new ServiceAccount(org, name, role);
    }

    public Optional<ServiceAccount> serviceAccount(String org, String name) {
        return jdbi.withHandle(h -> serviceAccount(h, org, name));
    }

    private static Optional<ServiceAccount> serviceAccount(Handle h, String org, String name) {
        return h.createQuery("SELECT role FROM service_accounts WHERE org = :o AND name = :n")
                .bind("o", org).bind("n", name).mapTo(String.class).findOne()
                .map(r -> new ServiceAccount(org, name, Role.parse(r)));
    }

    private static void requireOrg(Handle h, String org) {
        Owner o = owner(h, org).orElseThrow(() -> HubException.notFound(
                "organisation '%s' does not exist: create it with 'floxhub admin org create %s'", org, org));
        if (o.kind() != Owner.Kind.ORG) {
            throw HubException.invalid("'%s' is a user, not an organisation", org);
        }
    }

    private static void requireUser(Handle h, String user) {
        Owner o = owner(h, user).orElseThrow(() -> HubException.notFound(
                "user '%s' does not exist: create it with 'floxhub admin user create %s --password-file FILE'", user, user));
        if (o.kind() != Owner.Kind.USER) {
            throw HubException.invalid("'%s' is an organisation, not a user", user);
        }
    }

    /** Throws NOT_FOUND unless {@code name} is a user. */
    public void requireUser(String name) {
        jdbi.useHandle(h -> requireUser(h, name));
    }
}
