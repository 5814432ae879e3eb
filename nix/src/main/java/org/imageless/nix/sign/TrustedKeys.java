package org.imageless.nix.sign;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;
import org.imageless.nix.narinfo.NarInfo;

/** The public keys whose signatures are trusted, as Nix's {@code trusted-public-keys}. */
public record TrustedKeys(List<PublicKey> keys) {

    public TrustedKeys {
        keys = List.copyOf(keys);
    }

    public static TrustedKeys of(PublicKey... keys) {
        return new TrustedKeys(List.of(keys));
    }

    public static TrustedKeys of(Collection<PublicKey> keys) {
        return new TrustedKeys(List.copyOf(keys));
    }

    public static TrustedKeys none() {
        return new TrustedKeys(List.of());
    }

    /** Parses a {@code trusted-public-keys} value: keys separated by whitespace. */
    public static TrustedKeys parse(String text) {
        List<PublicKey> keys = new ArrayList<>();
        for (String k : text.strip().split("\\s+")) {
            if (!k.isEmpty()) {
                keys.add(PublicKey.parse(k));
            }
        }
        return new TrustedKeys(keys);
    }

    public boolean isEmpty() {
        return keys.isEmpty();
    }

    /** Whether at least one of the narinfo's signatures is by a trusted key and verifies. */
    public boolean verifies(NarInfo info) {
        String fingerprint = info.fingerprint();
        for (String sig : info.sigs()) {
            for (PublicKey k : keys) {
                if (k.verify(fingerprint, sig)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The trusted key names, comma-separated, for error messages. */
    public String names() {
        return keys.isEmpty() ? "(none)" : keys.stream().map(PublicKey::name).collect(Collectors.joining(", "));
    }
}
