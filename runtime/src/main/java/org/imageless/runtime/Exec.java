package org.imageless.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.imageless.runtime.edit.ProcessEdit;
import org.imageless.runtime.spec.ProcessSpec;
import org.imageless.runtime.spec.Spec;

/**
 * {@code runc exec --process FILE ID}: applies the activation that create recorded for the
 * container to the exec process (same variables, command resolution and hook). No record: the
 * process is left as it is (sandbox, skipped containers, {@code skip-containers-exec}).
 */
public final class Exec {

    private Exec() {
    }

    /**
     * Applies the activation recorded in {@code activationFile} ({@code state_dir/containers/<id>/activation.json})
     * to {@code processFile}; returns true when it was edited. Reads nothing else (no node.toml), so
     * an exec costs one small JVM run.
     */
    public static boolean run(Path activationFile, Path processFile) throws IOException {
        Optional<Activation> activation = Activation.readFile(activationFile);
        if (activation.isEmpty()) {
            return false;
        }
        ProcessSpec process = Spec.parseProcess(Files.readString(processFile));
        try {
            for (ProcessEdit e : Create.processEdits(activation.get())) {
                e.apply(process);
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("exec in a container of " + activation.get().environment() + ": "
                    + e.getMessage(), e);
        }
        process.write(processFile);
        return true;
    }
}
