package org.imageless.environment.lock;

import java.util.List;
import java.util.SequencedMap;
import org.imageless.nix.store.StorePath;

/**
 * One package of {@code manifest.lock}, resolved for one system. Flox's {@code LockedPackage} is an
 * untagged union of a catalog package (snake_case keys), a flake installable (kebab-case keys, the
 * output of {@code builtins.lockFlakeInstallable}) and a store path. The typed fields here are the
 * ones the environment needs; all other keys are kept in the lock's tree and written back unchanged.
 */
public sealed interface LockedPackage {

    String installId();

    String system();

    long priority();

    /**
     * A catalog package: {@code outputs} maps output name to store path, {@code outputsToInstall} is
     * the package's {@code meta.outputsToInstall} ({@code null} when the lock has none).
     */
    record Catalog(String installId, String system, String attrPath, String pname, String version, String group,
                   long priority, SequencedMap<String, StorePath> outputs, List<String> outputsToInstall)
            implements LockedPackage {
    }

    /** A package locked from a flake installable. */
    record Flake(String installId, String system, String lockedUrl, SequencedMap<String, StorePath> outputs,
                 List<String> outputsToInstall, List<String> requestedOutputsToInstall, long priority)
            implements LockedPackage {
    }

    /** A store path installed as is. */
    record StorePathPackage(String installId, String system, StorePath storePath, long priority)
            implements LockedPackage {
    }
}
