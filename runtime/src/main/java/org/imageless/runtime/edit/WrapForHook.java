package org.imageless.runtime.edit;

import java.util.ArrayList;
import java.util.List;
import org.imageless.runtime.spec.ProcessSpec;

/**
 * Runs the environment's {@code hook.on-activate} before the container's command: the command
 * becomes {@code bash -c '<hook, its stdout sent to stderr>; exec "$@"' flox-activate <args…>},
 * with bash from the environment's closure. The original arguments pass through "$@" untouched, so
 * no quoting is involved. Only used when the environment has a hook; otherwise the command runs
 * directly (no shell).
 */
public record WrapForHook(String bash, String hook) implements ProcessEdit {

    /** {@code $0} of the wrapper shell, shown by {@code ps}. */
    static final String ARGV0 = "flox-activate";

    public WrapForHook {
        if (!bash.startsWith("/nix/store/")) {
            throw new IllegalArgumentException("bash '" + bash + "' is not from the environment's closure");
        }
    }

    @Override
    public void apply(ProcessSpec process) {
        List<String> original = process.args();
        if (original.isEmpty()) {
            throw new IllegalArgumentException("the container has no command to run after the hook: "
                    + "set 'command' in the pod spec");
        }
        List<String> args = new ArrayList<>();
        args.add(bash);
        args.add("-c");
        args.add("{\n" + hook + "\n} 1>&2\nexec \"$@\"");
        args.add(ARGV0);
        args.addAll(original);
        process.setArgs(args);
    }
}
