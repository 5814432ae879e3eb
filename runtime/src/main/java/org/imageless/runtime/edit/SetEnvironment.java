package org.imageless.runtime.edit;

import java.util.LinkedHashMap;
import java.util.SequencedMap;
import org.imageless.runtime.spec.ProcessSpec;

/**
 * Sets the activated environment's variables in the process: each replaces a variable of the same
 * name where it stood, new ones are appended in the plan's order. The plan has already prefixed
 * {@code PATH} and friends with the container's own values.
 */
public record SetEnvironment(SequencedMap<String, String> variables) implements ProcessEdit {

    public SetEnvironment {
        variables = new LinkedHashMap<>(variables);
    }

    @Override
    public void apply(ProcessSpec process) {
        SequencedMap<String, String> env = process.env();
        env.putAll(variables);
        process.setEnv(env);
    }
}
