package org.imageless.environment.activation;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;
import org.imageless.nix.NixException;

/**
 * The environment of a non-interactive activation ({@code flox activate -- cmd}, or a container's
 * process), computed without running Flox's scripts. Sources (flox/flox {@code assets/activation-scripts}):
 *
 * <table>
 * <tr><th>variable</th><th>value</th><th>set by</th></tr>
 * <tr><td>FLOX_ENV</td><td>the view</td><td>{@code activate}: {@code export FLOX_ENV="${FLOX_ENV:-<dir of activate>}"}</td></tr>
 * <tr><td>FLOX_ENV_DESCRIPTION</td><td>{@code owner/name}</td><td>the CLI (shown by {@code activate.d/start.bash};
 *     unset for plain container starts)</td></tr>
 * <tr><td>FLOX_ENV_PROJECT, FLOX_ENV_CACHE</td><td>when given</td><td>the CLI (manifest template comments:
 *     project dir and {@code .flox/cache})</td></tr>
 * <tr><td>FLOX_PROMPT_ENVIRONMENTS, FLOX_PROMPT_COLOR_1, FLOX_PROMPT_COLOR_2, _FLOX_SET_PROMPT</td>
 *     <td>inherited, else {@code ""}, {@code 99}, {@code 141}, {@code true}</td><td>{@code activate} (defaults)</td></tr>
 * <tr><td>PATH</td><td>{@code <view>/bin:<view>/sbin:} + inherited, duplicates removed</td>
 *     <td>{@code activate.d/set-run-variables.bash}</td></tr>
 * <tr><td>MANPATH</td><td>{@code <view>/share/man:} + inherited (always a colon, so man's defaults stay),
 *     duplicates removed</td><td>{@code activate.d/set-run-variables.bash}</td></tr>
 * <tr><td>INFOPATH, CPATH, LIBRARY_PATH, PKG_CONFIG_PATH, ACLOCAL_PATH, XDG_DATA_DIRS</td>
 *     <td>dev only: {@code <view>/share/info}, {@code <view>/include}, {@code <view>/lib},
 *     {@code <view>/lib/pkgconfig:<view>/share/pkgconfig}, {@code <view>/share/aclocal}, {@code <view>/share},
 *     each prepended to the inherited value</td>
 *     <td>{@code etc/profile.d/0100_common-paths.sh}, sourced by {@code activate.d/start.bash} in dev mode only</td></tr>
 * <tr><td>{@code [vars]}</td><td>literal values</td><td>{@code $FLOX_ENV/activate.d/envrc}, sourced by
 *     {@code start.bash} after the profile.d scripts, so a var may override any of the above</td></tr>
 * </table>
 *
 * <p>Not covered: the language-specific profile.d scripts (0501_rust.sh, 0502_jupyter.sh, 0800_cuda.sh),
 * which test the view's contents at activation time; {@code LD_AUDIT}/{@code DYLD_FALLBACK_LIBRARY_PATH}
 * (need {@code FLOX_ENV_LIB_DIRS}); Flox's internal {@code _FLOX_*} bookkeeping; and whatever
 * {@code hook.on-activate} exports: when {@link #runsHook()} the caller must run the hook in bash
 * in this environment and take the environment it leaves.
 *
 * @param environment the variables to set, in order; values of inherited variables not listed stay
 * @param runsHook    whether {@code hook.on-activate} must run before the command
 */
public record ActivationPlan(SequencedMap<String, String> environment, boolean runsHook) {

    public ActivationPlan {
        environment = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(environment));
    }

    /**
     * What to activate.
     *
     * @param view        the environment view directory (becomes {@code FLOX_ENV})
     * @param description {@code owner/name}, or {@code null} to leave FLOX_ENV_DESCRIPTION unset
     * @param vars        the manifest's {@code [vars]}
     * @param onActivate  {@code hook.on-activate}, or {@code null}
     * @param project     FLOX_ENV_PROJECT, or {@code null}
     * @param cache       FLOX_ENV_CACHE, or {@code null}
     * @param inherited   the environment the process had before activation (PATH and friends are prefixed)
     */
    public record Request(ActivationMode mode, String view, String description, Map<String, String> vars,
                          String onActivate, String project, String cache, Map<String, String> inherited) {
        public Request {
            if (view == null || !view.startsWith("/")) {
                throw NixException.invalid("environment view '%s' is not an absolute path", view);
            }
            while (view.length() > 1 && view.endsWith("/")) {
                view = view.substring(0, view.length() - 1);
            }
            vars = Collections.unmodifiableMap(new LinkedHashMap<>(vars));
            inherited = Collections.unmodifiableMap(new LinkedHashMap<>(inherited));
        }
    }

    /** Computes the plan; pure. */
    public static ActivationPlan compute(Request r) {
        String v = r.view();
        Map<String, String> in = r.inherited();
        SequencedMap<String, String> env = new LinkedHashMap<>();
        env.put("FLOX_ENV", v);
        if (r.description() != null) {
            env.put("FLOX_ENV_DESCRIPTION", r.description());
        }
        if (r.project() != null) {
            env.put("FLOX_ENV_PROJECT", r.project());
        }
        if (r.cache() != null) {
            env.put("FLOX_ENV_CACHE", r.cache());
        }
        env.put("FLOX_PROMPT_ENVIRONMENTS", in.getOrDefault("FLOX_PROMPT_ENVIRONMENTS", ""));
        env.put("_FLOX_SET_PROMPT", in.getOrDefault("_FLOX_SET_PROMPT", "true"));
        env.put("FLOX_PROMPT_COLOR_1", in.getOrDefault("FLOX_PROMPT_COLOR_1", "99"));
        env.put("FLOX_PROMPT_COLOR_2", in.getOrDefault("FLOX_PROMPT_COLOR_2", "141"));
        if (r.mode() == ActivationMode.DEV) {
            env.put("INFOPATH", prepend(v + "/share/info", in.get("INFOPATH")));
            env.put("CPATH", prepend(v + "/include", in.get("CPATH")));
            env.put("LIBRARY_PATH", prepend(v + "/lib", in.get("LIBRARY_PATH")));
            env.put("PKG_CONFIG_PATH", v + "/lib/pkgconfig:" + prepend(v + "/share/pkgconfig", in.get("PKG_CONFIG_PATH")));
            env.put("ACLOCAL_PATH", prepend(v + "/share/aclocal", in.get("ACLOCAL_PATH")));
            env.put("XDG_DATA_DIRS", prepend(v + "/share", in.get("XDG_DATA_DIRS")));
        }
        String path = v + "/bin:" + v + "/sbin" + (isEmpty(in.get("PATH")) ? "" : ":" + in.get("PATH"));
        env.put("PATH", dedup(path));
        String manpath = v + "/share/man:" + (isEmpty(in.get("MANPATH")) ? "" : in.get("MANPATH"));
        env.put("MANPATH", dedup(manpath));
        for (Map.Entry<String, String> var : r.vars().entrySet()) {
            env.remove(var.getKey());
            env.put(var.getKey(), var.getValue());
        }
        boolean hook = r.onActivate() != null && !r.onActivate().isBlank();
        return new ActivationPlan(env, hook);
    }

    private static boolean isEmpty(String s) {
        return s == null || s.isEmpty();
    }

    /** {@code first${rest:+:$rest}}. */
    private static String prepend(String first, String rest) {
        return isEmpty(rest) ? first : first + ":" + rest;
    }

    /**
     * set-run-variables.bash's awk over {@code echo "$PATH"}: split on ':', keep the first occurrence
     * of each element. The last element carries echo's newline, so it is never equal to an earlier one
     * and always stays (the newline itself is removed by the command substitution).
     */
    static String dedup(String value) {
        Set<String> seen = new LinkedHashSet<>();
        StringBuilder b = new StringBuilder();
        int n = 0;
        String[] parts = value.split(":", -1);
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            if (seen.add(i == parts.length - 1 ? part + "\n" : part)) {
                if (n++ > 0) {
                    b.append(':');
                }
                b.append(part);
            }
        }
        return b.toString();
    }
}
