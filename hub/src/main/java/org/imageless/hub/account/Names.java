package org.imageless.hub.account;

import java.util.regex.Pattern;
import org.imageless.hub.HubException;

/** The rules for owner (user, organisation) and service-account names. */
public final class Names {

    /** Lower-case letters, digits and inner dashes, 1 to 39 characters, as GitHub handles. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,37}[a-z0-9])?");

    private Names() {}

    /** Returns {@code name} if it is a valid owner name, else throws an INVALID error naming the rule. */
    public static String owner(String name) {
        return check("owner", name);
    }

    public static String serviceAccount(String name) {
        return check("service account", name);
    }

    private static String check(String what, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw HubException.invalid("%s name '%s' is not valid: use 1-39 lower-case letters, digits and dashes, "
                    + "not starting or ending with a dash", what, name);
        }
        return name;
    }
}
