package org.imageless.runtime.annotation;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.commons.text.similarity.LevenshteinDistance;
import org.imageless.environment.EnvironmentRef;
import org.imageless.environment.activation.ActivationMode;

/**
 * The pod's {@code flox.dev/*} annotations, as containerd passes them into every container's spec
 * ({@code pod_annotations = ["flox.dev/*"]}), validated: each bad value is an error that names the
 * annotation, the value and what is expected.
 */
public record PodAnnotations(Optional<EnvironmentRef> environment, ActivationMode activateMode, boolean nixMutable,
                             Set<String> skipContainers, Set<String> skipContainersExec, boolean disableMetrics) {

    public static final String PREFIX = "flox.dev/";
    public static final String ENVIRONMENT = PREFIX + "environment";
    public static final String ACTIVATE_MODE = PREFIX + "activate-mode";
    public static final String NIX_MUTABLE = PREFIX + "nix-mutable";
    public static final String SKIP_CONTAINERS = PREFIX + "skip-containers";
    public static final String SKIP_CONTAINERS_EXEC = PREFIX + "skip-containers-exec";
    public static final String DISABLE_METRICS = PREFIX + "disable-metrics";
    static final List<String> KNOWN = List.of(ENVIRONMENT, ACTIVATE_MODE, NIX_MUTABLE, SKIP_CONTAINERS,
            SKIP_CONTAINERS_EXEC, DISABLE_METRICS);
    /** A Kubernetes container name (an RFC 1123 label). */
    private static final java.util.regex.Pattern CONTAINER_NAME = java.util.regex.Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    public PodAnnotations {
        skipContainers = Set.copyOf(skipContainers);
        skipContainersExec = Set.copyOf(skipContainersExec);
    }

    /** Reads the {@code flox.dev/*} entries of a spec's annotations; other annotations are ignored. */
    public static PodAnnotations parse(Map<String, String> annotations) {
        for (String key : annotations.keySet()) {
            if (key.startsWith(PREFIX) && !KNOWN.contains(key)) {
                throw new AnnotationException("unknown annotation '" + key + "'" + suggestion(key)
                        + ": known are " + String.join(", ", KNOWN));
            }
        }
        Optional<EnvironmentRef> environment = Optional.ofNullable(annotations.get(ENVIRONMENT)).map(v -> {
            try {
                return EnvironmentRef.parse(v.strip());
            } catch (RuntimeException e) {
                throw new AnnotationException("annotation " + ENVIRONMENT + "=\"" + v + "\" is invalid: " + e.getMessage());
            }
        });
        ActivationMode mode = Optional.ofNullable(annotations.get(ACTIVATE_MODE)).map(v -> switch (v.strip()) {
            case "run" -> ActivationMode.RUN;
            case "dev" -> ActivationMode.DEV;
            default -> throw new AnnotationException("annotation " + ACTIVATE_MODE + "=\"" + v
                    + "\" is invalid: expected \"run\" (the default) or \"dev\"");
        }).orElse(ActivationMode.RUN);
        return new PodAnnotations(environment, mode, bool(annotations, NIX_MUTABLE),
                names(annotations, SKIP_CONTAINERS), names(annotations, SKIP_CONTAINERS_EXEC),
                bool(annotations, DISABLE_METRICS));
    }

    private static boolean bool(Map<String, String> annotations, String key) {
        String v = annotations.get(key);
        if (v == null) {
            return false;
        }
        return switch (v.strip()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new AnnotationException("annotation " + key + "=\"" + v
                    + "\" is invalid: expected \"true\" or \"false\"");
        };
    }

    /** A comma-separated list of container names (DNS labels, as Kubernetes requires). */
    private static Set<String> names(Map<String, String> annotations, String key) {
        String v = annotations.get(key);
        if (v == null || v.isBlank()) {
            return Set.of();
        }
        Set<String> out = new LinkedHashSet<>();
        for (String name : Arrays.stream(v.split(",")).map(String::strip).toList()) {
            if (!CONTAINER_NAME.matcher(name).matches()) {
                throw new AnnotationException("annotation " + key + "=\"" + v + "\" is invalid: '" + name
                        + "' is not a container name (expected a comma-separated list like \"sidecar,init-db\")");
            }
            out.add(name);
        }
        return out;
    }

    private static String suggestion(String key) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : KNOWN) {
            int d = LevenshteinDistance.getDefaultInstance().apply(key, k);
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        return bestDistance <= 3 ? " (did you mean '" + best + "'?)" : "";
    }
}
