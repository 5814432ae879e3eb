package org.imageless.cli.activate;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.imageless.cli.Config;
import org.imageless.cli.Session;
import org.imageless.nix.NixException;
import org.imageless.nix.sign.TrustedKeys;

/**
 * The keys the CLI trusts for the hub's binary cache, as nix trusts {@code trusted-public-keys}:
 * {@code FLOX_TRUSTED_PUBLIC_KEYS}, else {@code trusted_public_keys} in {@code flox.toml} (keys
 * separated by spaces); else the hub's own key, asked for once ({@code GET /api/v1/cache-key}) and
 * pinned under {@code $FLOX_DATA_DIR/trusted-keys/} for that hub, the way ssh pins a host key.
 */
public final class HubKeys {

    public static final String ENV = "FLOX_TRUSTED_PUBLIC_KEYS";
    public static final String SETTING = "trusted_public_keys";
    static final String KEY_PATH = "/api/v1/cache-key";

    private HubKeys() {
    }

    /** The keys narinfo from {@code session}'s hub must be signed with; pins the hub's key on first use. */
    public static TrustedKeys trusted(Session session) {
        Config c = session.config();
        String configured = Config.setting(c, ENV, SETTING);
        if (configured != null) {
            try {
                return TrustedKeys.parse(configured);
            } catch (NixException e) {
                throw NixException.invalid("%s is not a list of Nix public keys (name:base64, separated by spaces): %s",
                        c.env().containsKey(ENV) ? ENV : SETTING + " in " + c.file(), e.getMessage());
            }
        }
        Path pinned = pinnedFile(c);
        if (Files.isRegularFile(pinned)) {
            try {
                return TrustedKeys.parse(Files.readString(pinned));
            } catch (IOException | NixException e) {
                throw NixException.invalid("the pinned key of %s in %s cannot be read (%s): remove the file to pin the hub's key again",
                        c.hubUrl(), pinned, e.getMessage());
            }
        }
        JsonNode answer = session.hub().get(KEY_PATH);
        String key = answer.path("public_key").asText("");
        TrustedKeys keys;
        try {
            keys = TrustedKeys.parse(key);
        } catch (NixException e) {
            throw NixException.corrupt("%s%s did not answer with a Nix public key (%s)", c.hubUrl(), KEY_PATH, e.getMessage());
        }
        if (keys.isEmpty()) {
            throw NixException.corrupt("%s%s did not answer with a Nix public key", c.hubUrl(), KEY_PATH);
        }
        try {
            Files.createDirectories(pinned.getParent());
            Path tmp = Files.createTempFile(pinned.getParent(), ".key-", ".tmp");
            Files.writeString(tmp, key.strip() + "\n");
            Files.move(tmp, pinned, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new NixException(NixException.Kind.IO, "cannot pin the key of " + c.hubUrl() + " in " + pinned + ": " + e, e);
        }
        session.err().println("flox: trusting " + key.strip() + " for the packages of " + c.hubUrl() + " (pinned in " + pinned
                + "; " + SETTING + " in flox.toml chooses the keys instead)");
        return keys;
    }

    /** {@code $FLOX_DATA_DIR/trusted-keys/<host>_<port>}: one pinned key per hub. */
    static Path pinnedFile(Config c) {
        URI u = URI.create(c.hubUrl());
        String host = u.getHost() == null ? "hub" : u.getHost();
        int port = u.getPort() >= 0 ? u.getPort() : ("https".equals(u.getScheme()) ? 443 : 80);
        return c.dataDir().resolve("trusted-keys").resolve(host.replaceAll("[^A-Za-z0-9.-]", "_") + "_" + port);
    }

    /** What to do when a download's signature is not one of {@code session}'s trusted keys. */
    static String untrustedFix(Session session) {
        Config c = session.config();
        if (Config.setting(c, ENV, SETTING) != null) {
            return "the keys in " + (c.env().containsKey(ENV) ? ENV : SETTING + " of " + c.file())
                    + " do not include the one the hub signs with ('floxhub admin cache-key' on the hub prints it)";
        }
        return "the hub signs with another key than the one pinned in " + pinnedFile(c) + " on first use. If its operator "
                + "replaced the hub's key, remove that file; otherwise something between you and the hub alters downloads";
    }
}
