package org.imageless.hub.catalog;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.SequencedMap;
import java.util.regex.Pattern;
import org.imageless.hub.HubException;

/** What a publisher sends for a new version: {@code description} and {@code license} may be null. */
public record Publication(String version, String description, String license, boolean unfree, boolean broken,
                          SequencedMap<String, SystemOutputs> systems) {

    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+~-]{0,99}");
    private static final Pattern SYSTEM = Pattern.compile("[a-z0-9_]+-[a-z0-9_]+");

    public Publication {
        if (version == null || !VERSION.matcher(version).matches()) {
            throw HubException.invalid("version '%s' is not valid: start with a letter or digit, then letters, digits, "
                    + "'.', '_', '+', '~' or '-', at most 100 characters (e.g. \"1.2.3\")", version);
        }
        if (description != null && description.length() > 2000) {
            throw HubException.invalid("description is longer than 2000 characters");
        }
        if (license != null && license.length() > 200) {
            throw HubException.invalid("license is longer than 200 characters");
        }
        if (systems == null || systems.isEmpty()) {
            throw HubException.invalid("a version needs outputs for at least one system: "
                    + "\"systems\": {\"x86_64-linux\": {\"outputs\": {\"out\": \"/nix/store/…\"}}}");
        }
        for (String system : systems.keySet()) {
            if (system.length() > 64 || !SYSTEM.matcher(system).matches()) {
                throw HubException.invalid("system '%s' is not valid: expected e.g. x86_64-linux or aarch64-darwin", system);
            }
        }
        systems = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(systems));
    }
}
