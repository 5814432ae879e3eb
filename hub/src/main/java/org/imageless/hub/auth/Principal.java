package org.imageless.hub.auth;

import org.imageless.hub.account.Role;

/** Who a request acts as. Names are safe to log; token ids are not secrets either. */
public sealed interface Principal {

    /** A name for logs and responses: the user's name, {@code org/name} of a service account, or {@code anonymous}. */
    String name();

    record Anonymous() implements Principal {
        @Override
        public String name() {
            return "anonymous";
        }
    }

    /** A user, signed in with one of their tokens ({@code tokenId} says which, for audit and revocation). */
    record User(String name, String tokenId) implements Principal {}

    /** A service account of {@code org}, whose role there is fixed. */
    record ServiceAccount(String org, String account, Role role, String tokenId) implements Principal {
        @Override
        public String name() {
            return org + "/" + account;
        }
    }

    Principal ANONYMOUS = new Anonymous();
}
