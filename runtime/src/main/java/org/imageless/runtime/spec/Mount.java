package org.imageless.runtime.spec;

import java.util.List;

/** One entry of an OCI spec's {@code mounts}. */
public record Mount(String destination, String type, String source, List<String> options) {

    public Mount {
        if (!destination.startsWith("/")) {
            throw new IllegalArgumentException("mount destination '" + destination + "' is not absolute");
        }
        options = List.copyOf(options);
    }

    /** A read-only bind mount of {@code source} at {@code destination}, without devices or setuid. */
    public static Mount readOnlyBind(String source, String destination) {
        return new Mount(destination, "bind", source, List.of("rbind", "ro", "nosuid", "nodev"));
    }
}
