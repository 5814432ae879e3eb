package org.imageless.e2e.testing;

import java.util.List;
import java.util.Map;

/** Pod manifests as users write them (YAML), for the end-to-end tests. */
public final class Pods {

    public static final String EMPTY = "flox/empty:1.0.0";
    public static final String BUSYBOX = org.imageless.node.testing.TestImages.BUSYBOX;

    private Pods() {}

    /** A container on {@code image} with {@code command} (none: the image's). */
    public static String container(String name, String image, List<String> command) {
        StringBuilder y = new StringBuilder("    - name: ").append(name).append('\n')
                .append("      image: ").append(image).append('\n');
        if (!command.isEmpty()) {
            y.append("      command: [");
            for (int i = 0; i < command.size(); i++) {
                y.append(i == 0 ? "" : ", ").append(quote(command.get(i)));
            }
            y.append("]\n");
        }
        return y.toString();
    }

    /** A container on flox/empty running {@code command}. */
    public static String container(String name, String... command) {
        return container(name, EMPTY, List.of(command));
    }

    /** A pod with {@code runtimeClassName} {@code handler}, the annotations, and the containers (from {@link #container}). */
    public static String pod(String name, String handler, Map<String, String> annotations, String... containers) {
        return podWithVolumes(name, handler, annotations, "", containers);
    }

    /** As {@link #pod(String, String, Map, String...)}, with extra YAML after the containers (volumes) and mounts in {@code containers}. */
    public static String podWithVolumes(String name, String handler, Map<String, String> annotations, String specExtra, String... containers) {
        StringBuilder y = new StringBuilder("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                """.formatted(name));
        if (!annotations.isEmpty()) {
            y.append("  annotations:\n");
            annotations.forEach((k, v) -> y.append("    ").append(k).append(": ").append(quote(v)).append('\n'));
        }
        y.append("spec:\n  runtimeClassName: ").append(handler).append("\n  containers:\n");
        for (String c : containers) {
            y.append(c);
        }
        y.append(specExtra);
        return y.toString();
    }

    /** The secret name {@link #tokenPod} mounts. */
    public static final String TOKEN_SECRET = "floxhub-token";

    /** A pod on handler flox mounting secret {@code floxhub-token} at /var/run/secrets/flox.dev, as Flox's documentation shows. */
    public static String tokenPod(String name, String environment, String... command) {
        return podWithVolumes(name, "flox", Map.of("flox.dev/environment", environment), """
                  volumes:
                    - name: flox-token
                      secret:
                        secretName: floxhub-token
                """, container("app", command) + """
                      volumeMounts:
                        - name: flox-token
                          mountPath: /var/run/secrets/flox.dev
                          readOnly: true
                """);
    }

    /** A double-quoted YAML scalar. */
    public static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
