package org.imageless.hub.auth;

import org.imageless.hub.HubException;
import org.imageless.hub.account.Accounts;
import org.imageless.hub.account.Role;

/**
 * The access policy, in one place. A user owns their own name and has their membership role in an
 * organisation; a service account has its fixed role in its organisation only; anonymous has no
 * role anywhere. Anyone may read public things; private things need at least reader; writing
 * needs at least writer, whatever the visibility.
 */
public final class Access {

    private final Accounts accounts;

    public Access(Accounts accounts) {
        this.accounts = accounts;
    }

    public Role role(Principal principal, String owner) {
        return switch (principal) {
            case Principal.Anonymous a -> Role.NONE;
            case Principal.User u -> u.name().equals(owner) ? Role.OWNER : accounts.memberRole(owner, u.name());
            case Principal.ServiceAccount s -> s.org().equals(owner) ? s.role() : Role.NONE;
        };
    }

    public boolean canRead(Principal principal, String owner, Visibility visibility) {
        return visibility == Visibility.PUBLIC || role(principal, owner).atLeast(Role.READER);
    }

    public boolean canWrite(Principal principal, String owner) {
        return role(principal, owner).atLeast(Role.WRITER);
    }

    public boolean isOwner(Principal principal, String owner) {
        return role(principal, owner).atLeast(Role.OWNER);
    }

    /**
     * Throws unless {@code principal} may read: UNAUTHENTICATED for anonymous (sign in may help),
     * FORBIDDEN for a principal without a role. Handlers that must not reveal that a private thing
     * exists catch FORBIDDEN and answer NOT_FOUND instead.
     */
    public void checkRead(Principal principal, String owner, Visibility visibility) {
        if (!canRead(principal, owner, visibility)) {
            throw denied(principal, owner, "read private environments of");
        }
    }

    /** Throws unless {@code principal} may write to {@code owner} (see {@link #checkRead}). */
    public void checkWrite(Principal principal, String owner) {
        if (!canWrite(principal, owner)) {
            throw denied(principal, owner, "write to");
        }
    }

    private HubException denied(Principal principal, String owner, String what) {
        if (principal instanceof Principal.Anonymous) {
            return HubException.unauthenticated("sign in to %s '%s': send a token ('Authorization: bearer <token>')", what, owner);
        }
        Role has = role(principal, owner);
        return HubException.forbidden("%s may not %s '%s' (role: %s); an owner of '%s' can grant access",
                principal.name(), what, owner, has.label(), owner);
    }
}
