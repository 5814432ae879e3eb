package org.imageless.runtime.edit;

import java.nio.file.Path;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.imageless.nix.store.StorePath;
import org.imageless.runtime.spec.Mount;
import org.imageless.runtime.spec.Spec;

/**
 * Makes exactly the environment's closure visible at {@code /nix/store}, read-only: a view
 * directory (which holds one empty mount point per closure path, prepared on the host) is bound
 * at {@code /nix/store}, then each path of the closure from the node store onto its mount point.
 * Other environments' paths on the node are not visible in the container.
 */
public record MountClosure(Path view, Path nodeStore, SortedSet<StorePath> closure) implements SpecEdit {

    public static final String STORE = "/nix/store";

    public MountClosure {
        closure = new TreeSet<>(closure);
    }

    @Override
    public void apply(Spec spec) {
        refuseStoreMounts(spec);
        spec.addMount(Mount.readOnlyBind(view.toString(), STORE));
        for (StorePath p : closure) {
            spec.addMount(Mount.readOnlyBind(nodeStore.resolve(p.baseName()).toString(), p.toString()));
        }
    }

    /** A container that mounts something at or under /nix/store itself cannot get the environment's. */
    static void refuseStoreMounts(Spec spec) {
        for (Mount m : spec.mounts()) {
            // a mount above /nix/store (e.g. at /nix) is fine: ours are added later, on top of it
            if (m.destination().equals(STORE) || m.destination().startsWith(STORE + "/")) {
                throw new IllegalArgumentException("the container already mounts " + m.destination()
                        + ", which would hide or replace the environment's /nix/store: remove that volume, "
                        + "or list the container in flox.dev/skip-containers");
            }
        }
    }

    /** The closure as a list, in mount order. */
    public List<StorePath> paths() {
        return List.copyOf(closure);
    }
}
