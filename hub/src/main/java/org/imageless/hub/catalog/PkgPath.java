package org.imageless.hub.catalog;

import java.util.regex.Pattern;
import org.imageless.hub.HubException;
import org.imageless.hub.account.Names;

/**
 * How a catalog package is named: {@code owner/name}, as Flox writes packages of custom catalogs,
 * and exactly what a manifest's {@code pkg-path} holds ({@code hello.pkg-path = "acme/hello"}). The
 * owner follows the owner-name rules; the name is a Nix package name: a letter or digit, then
 * letters, digits, {@code . _ + -}, at most 100 characters.
 */
public record PkgPath(String owner, String name) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,99}");

    public PkgPath {
        Names.owner(owner);
        if (name == null || !NAME.matcher(name).matches()) {
            throw HubException.invalid("package name '%s' is not valid: start with a letter or digit, then letters, "
                    + "digits, '.', '_', '+' or '-', at most 100 characters", name);
        }
    }

    /** {@code owner/name}; anything else is INVALID with the expected form. */
    public static PkgPath parse(String text) {
        int slash = text == null ? -1 : text.indexOf('/');
        if (slash < 0 || text.indexOf('/', slash + 1) >= 0) {
            throw HubException.invalid("'%s' is not a catalog package: catalog packages are written owner/name "
                    + "(e.g. 'acme/hello')", text);
        }
        return new PkgPath(text.substring(0, slash), text.substring(slash + 1));
    }

    @Override
    public String toString() {
        return owner + "/" + name;
    }
}
