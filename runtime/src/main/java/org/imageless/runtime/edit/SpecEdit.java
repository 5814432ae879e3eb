package org.imageless.runtime.edit;

import java.util.List;
import org.imageless.runtime.spec.Spec;

/** One change to a container's OCI spec. Edits compose: {@link #all} applies a list in order. */
@FunctionalInterface
public interface SpecEdit {

    void apply(Spec spec);

    /** A name for error messages; the class name unless an edit says otherwise. */
    default String describe() {
        return getClass().getSimpleName();
    }

    /** Applies {@code edits} in order and stops at the first that fails, naming it. */
    static SpecEdit all(List<SpecEdit> edits) {
        List<SpecEdit> copy = List.copyOf(edits);
        return spec -> {
            for (SpecEdit e : copy) {
                try {
                    e.apply(spec);
                } catch (RuntimeException ex) {
                    throw new SpecEditException(e.describe() + ": " + ex.getMessage(), ex);
                }
            }
        };
    }
}
