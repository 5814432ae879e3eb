package org.imageless.environment.manifest;

import java.util.List;

/**
 * One entry of {@code [install]}: what to install under an install id. Flox tells the three kinds
 * apart by their keys ({@code pkg-path}, {@code flake}, {@code store-path}); each rejects keys of the
 * others. Optional values are {@code null} when the manifest does not set them.
 */
public sealed interface InstallEntry {

    /** Systems this entry is restricted to, or {@code null} for the manifest's systems. */
    List<String> systems();

    /** Priority (lower wins on file conflicts), or {@code null} for Flox's default 5. */
    Long priority();

    /** Flox's default priority (parsed/common.rs {@code DEFAULT_PRIORITY}). */
    long DEFAULT_PRIORITY = 5;

    /** Flox's default package group (parsed/common.rs {@code DEFAULT_GROUP_NAME}). */
    String DEFAULT_GROUP = "toplevel";

    /**
     * A package from the catalog: {@code pkg-path} (attribute path such as {@code python312Packages.pip}),
     * optional semver {@code version} constraint, {@code pkg-group}, {@code systems}, {@code priority}
     * and (schema 1.10.0 and later) {@code outputs}.
     */
    record Catalog(String pkgPath, String version, String pkgGroup, List<String> systems, Long priority,
                   Outputs outputs) implements InstallEntry {
        public Catalog {
            systems = systems == null ? null : List.copyOf(systems);
        }

        /** {@code pkg-group}, or {@value InstallEntry#DEFAULT_GROUP}. */
        public String group() {
            return pkgGroup == null ? DEFAULT_GROUP : pkgGroup;
        }
    }

    /** A flake installable, {@code flake = "github:owner/repo#pkg"}. */
    record Flake(String flake, List<String> systems, Long priority, Outputs outputs) implements InstallEntry {
        public Flake {
            systems = systems == null ? null : List.copyOf(systems);
        }
    }

    /** A store path installed as is, {@code store-path = "/nix/store/..."}. */
    record StorePathEntry(String storePath, List<String> systems, Long priority) implements InstallEntry {
        public StorePathEntry {
            systems = systems == null ? null : List.copyOf(systems);
        }
    }

    /** {@code outputs = "all"} or {@code outputs = ["out", "man"]}; {@code null} means the package's default. */
    record Outputs(boolean all, List<String> names) {
        public Outputs {
            names = List.copyOf(names);
        }

        public static Outputs allOutputs() {
            return new Outputs(true, List.of());
        }

        public static Outputs of(List<String> names) {
            return new Outputs(false, names);
        }
    }
}
