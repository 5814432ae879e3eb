package org.imageless.runtime.edit;

import java.nio.file.Path;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.imageless.nix.store.StorePath;
import org.imageless.runtime.spec.Mount;
import org.imageless.runtime.spec.Spec;

/**
 * {@code flox.dev/nix-mutable: "true"}: the container gets a private writable {@code /nix/store}.
 * Its top level is the container's own directory {@code <dir>/store} (new store paths can be
 * created there); each directory of the closure is an overlay whose lower layer is the node
 * store's tree, read-only to overlayfs, with the upper layer in {@code <dir>/upper/<path>}, so
 * writes land in {@code <dir>} and the node store is never written. Store paths that are single
 * files are copied into {@code <dir>/store} when the directory is prepared. {@code <dir>} is
 * {@code state_dir/mutable/<container-id>}, removed when the container is deleted.
 */
public record OverlayForMutable(Path dir, Path nodeStore, SortedSet<StorePath> directories) implements SpecEdit {

    public OverlayForMutable {
        directories = new TreeSet<>(directories);
    }

    /** The container's top-level {@code /nix/store} on the host. */
    public static Path storeDir(Path dir) {
        return dir.resolve("store");
    }

    public static Path upperDir(Path dir, StorePath p) {
        return dir.resolve("upper").resolve(p.baseName());
    }

    public static Path workDir(Path dir, StorePath p) {
        return dir.resolve("work").resolve(p.baseName());
    }

    @Override
    public void apply(Spec spec) {
        MountClosure.refuseStoreMounts(spec);
        spec.addMount(new Mount(MountClosure.STORE, "bind", storeDir(dir).toString(), List.of("rbind", "rw", "nosuid", "nodev")));
        for (StorePath p : directories) {
            spec.addMount(new Mount(p.toString(), "overlay", "overlay", List.of(
                    "lowerdir=" + nodeStore.resolve(p.baseName()),
                    "upperdir=" + upperDir(dir, p),
                    "workdir=" + workDir(dir, p),
                    "nosuid", "nodev")));
        }
    }
}
