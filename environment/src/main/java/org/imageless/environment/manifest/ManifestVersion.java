package org.imageless.environment.manifest;

import org.imageless.nix.NixException;

/**
 * Which schema a manifest declares: the legacy {@code version = 1} or {@code schema-version = "1.N.0"}
 * (Flox introduced 1.10.0 after 1; later CLIs write higher minors).
 *
 * @param schemaVersion {@code null} for {@code version = 1}, else the declared {@code "1.N.0"}
 */
public record ManifestVersion(String schemaVersion) {

    /** {@code version = 1}. */
    public static final ManifestVersion V1 = new ManifestVersion(null);

    /** The first {@code schema-version}: where install entries gained {@code outputs}. */
    public static final int FIRST_SCHEMA_MINOR = 10;

    public ManifestVersion {
        if (schemaVersion != null && minorOf(schemaVersion) < 0) {
            throw NixException.invalid("schema-version '%s' is not supported: expected \"1.N.0\" with N >= %d",
                    schemaVersion, FIRST_SCHEMA_MINOR);
        }
    }

    static int minorOf(String schemaVersion) {
        String[] parts = schemaVersion.split("\\.", -1);
        if (parts.length != 3 || !parts[0].equals("1") || !parts[2].equals("0") || !parts[1].matches("[1-9][0-9]{0,3}")) {
            return -1;
        }
        int minor = Integer.parseInt(parts[1]);
        return minor >= FIRST_SCHEMA_MINOR ? minor : -1;
    }

    public boolean legacy() {
        return schemaVersion == null;
    }

    /** The key that declares it: {@code version} or {@code schema-version}. */
    public String key() {
        return legacy() ? "version" : "schema-version";
    }

    @Override
    public String toString() {
        return legacy() ? "1" : schemaVersion;
    }
}
