package org.imageless.runtime.edit;

import org.imageless.runtime.spec.ProcessSpec;
import org.imageless.runtime.spec.Spec;

/**
 * A change to a process: applies to a container's main process (as a {@link SpecEdit}) and, the
 * same, to the process of {@code runc exec} (kubectl exec, exec probes).
 */
@FunctionalInterface
public interface ProcessEdit {

    void apply(ProcessSpec process);

    default SpecEdit onSpec() {
        ProcessEdit self = this;
        return new SpecEdit() {
            @Override
            public void apply(Spec spec) {
                self.apply(spec.process());
            }

            @Override
            public String describe() {
                return self.getClass().getSimpleName();
            }
        };
    }
}
