package org.imageless.nix.cache;

import org.imageless.nix.NixException;
import org.imageless.nix.store.StorePath;

/**
 * A binary cache's {@code nix-cache-info}: {@code StoreDir}, {@code WantMassQuery}, {@code Priority}.
 * Absent fields take Nix's defaults (store {@code /nix/store}, no mass query, priority 50).
 */
public record CacheInfo(String storeDir, boolean wantMassQuery, int priority) {

    public static final int DEFAULT_PRIORITY = 50;

    /**
     * Parses {@code Key: value} lines; unknown keys are ignored as Nix does.
     *
     * @throws NixException CORRUPT for a malformed line or value, INVALID if StoreDir is not /nix/store
     */
    public static CacheInfo parse(String text, String cacheName) {
        String storeDir = StorePath.STORE_DIR;
        boolean wantMassQuery = false;
        int priority = DEFAULT_PRIORITY;
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw NixException.corrupt("nix-cache-info of %s is corrupt: line %d '%s' is not 'Key: value'",
                        cacheName, lineNo, line);
            }
            String key = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            switch (key) {
                case "StoreDir" -> storeDir = value;
                case "WantMassQuery" -> {
                    if (!value.equals("0") && !value.equals("1")) {
                        throw NixException.corrupt("nix-cache-info of %s is corrupt: line %d WantMassQuery '%s', "
                                + "expected 0 or 1", cacheName, lineNo, value);
                    }
                    wantMassQuery = value.equals("1");
                }
                case "Priority" -> {
                    try {
                        priority = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        throw NixException.corrupt("nix-cache-info of %s is corrupt: line %d Priority '%s' "
                                + "is not an integer", cacheName, lineNo, value);
                    }
                }
                default -> {
                    // unknown keys are ignored, as Nix does
                }
            }
        }
        if (!storeDir.equals(StorePath.STORE_DIR)) {
            throw NixException.invalid("binary cache %s is for Nix stores with prefix '%s', not '%s'",
                    cacheName, storeDir, StorePath.STORE_DIR);
        }
        return new CacheInfo(storeDir, wantMassQuery, priority);
    }
}
