package org.imageless.runtime;

import java.nio.file.Path;
import org.imageless.runtime.config.NodeConfig;

/**
 * The Java half of {@code flox-container-runtime}; the launcher script calls it for runc's
 * {@code create}/{@code run} and {@code exec} and then runs the real runc with the original
 * arguments. Usage (the launcher's, not a user's):
 * <pre>
 *   create LOG BUNDLE ID          edit BUNDLE/config.json
 *   exec LOG ACTIVATION PROCESS-FILE   edit the exec process file with the activation
 *                                      recorded at create (state_dir/containers/ID/activation.json)
 *   serve                         resident mode ({@link RuntimeDaemon}): prepare creates and execs
 *                                 for launchers, so that they start no JVM
 * </pre>
 * LOG is runc's {@code --log} file ({@code -} for none). Nothing is written to stdout or stderr
 * (they belong to the container): a failure is one JSON error line in LOG and exit status 1.
 */
public final class ContainerRuntime {

    private ContainerRuntime() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv()));
    }

    /** In the caller's environment: log create's phase timings. */
    static final String TIMINGS = "FLOX_RUNTIME_TIMINGS";
    /** Set by the resident daemon for the requests it runs (not a user setting). */
    static final String RESIDENT = "FLOX_RUNTIME_RESIDENT";

    private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("[A-Za-z0-9_.+-]+");

    /** runc's rule for container ids; ids name directories under state_dir, so nothing else is accepted. */
    static boolean validId(String id) {
        return ID.matcher(id).matches() && !id.equals(".") && !id.equals("..");
    }

    static int run(String[] args, java.util.Map<String, String> env) {
        if (args.length == 3 && args[0].equals(AotTraining.SETUP)) {
            try {
                AotTraining.setup(Path.of(args[1]), Integer.parseInt(args[2]));
                return 0;
            } catch (Exception e) {
                System.err.println("flox-container-runtime: AOT training set-up failed: " + e);
                return 1;
            }
        }
        if (args.length >= 1 && args[0].equals("serve")) {
            return RuntimeDaemon.main(args, env);
        }
        if (args.length == 1 && args[0].equals("aot-training")) {
            try {
                AotTraining.run();
                return 0;
            } catch (Exception e) {
                System.err.println("flox-container-runtime: AOT training failed: " + e);
                return 1;
            }
        }
        RuntimeLog log = new RuntimeLog(args.length > 1 && !args[1].equals("-") ? Path.of(args[1]) : null);
        try {
            if (args.length == 4 && args[0].equals("create") && !validId(args[3])) {
                log.error("flox: container id '" + args[3] + "' is not one runc accepts (letters, digits, '_', '.', '+', '-')");
                return 1;
            }
            switch (args.length == 4 ? args[0] : "") {
                case "create" -> new Create(NodeConfig.load(NodeConfig.file(env)), log, env.get(TIMINGS) != null,
                        env.get(RESIDENT) != null)
                        .run(Path.of(args[2]), args[3]);
                case "exec" -> Exec.run(Path.of(args[2]), Path.of(args[3]));
                default -> {
                    log.error("flox-container-runtime: internal usage error: expected 'create LOG BUNDLE ID' or "
                            + "'exec LOG ACTIVATION PROCESS-FILE', got " + args.length + " arguments");
                    return 2;
                }
            }
            return 0;
        } catch (Exception | StackOverflowError e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            log.error("flox: " + message);
            return 1;
        }
    }
}
