package org.imageless.hub.activation;

import java.time.Instant;
import java.util.regex.Pattern;
import org.imageless.environment.EnvironmentRef;
import org.imageless.environment.activation.ActivationMode;
import org.imageless.hub.HubException;

/**
 * One report from a node: container {@code container} of pod {@code namespace/pod} on {@code node}
 * was started at {@code time} with generation {@code generation} of {@code environment}, activated
 * in {@code mode}. Validated on construction; messages name the field and the rule.
 */
public record ActivationReport(EnvironmentRef environment, int generation, String node, String namespace, String pod,
                               String container, ActivationMode mode, Instant time) {

    /** Kubernetes object names (DNS subdomains) are at most 253 characters; node names too. */
    static final int MAX_NAME = 253;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?");

    public ActivationReport {
        if (generation < 1) {
            throw HubException.invalid("generation is %d: generations start at 1", generation);
        }
        checkName("node", node);
        checkName("namespace", namespace);
        checkName("pod", pod);
        checkName("container", container);
    }

    private static void checkName(String field, String value) {
        if (value == null || value.isEmpty()) {
            throw HubException.invalid("%s is missing: every report names node, namespace, pod and container", field);
        }
        if (value.length() > MAX_NAME || !NAME.matcher(value).matches()) {
            throw HubException.invalid("%s '%s' is not a Kubernetes name: use at most %d letters, digits, '.', '-' and '_', "
                    + "starting and ending with a letter or digit", field, value.length() > 80 ? value.substring(0, 80) + "…" : value, MAX_NAME);
        }
    }
}
