package org.imageless.runtime.annotation;

import java.util.Map;

/**
 * What the runtime does with a runc call, decided from the CRI annotations containerd puts in every
 * spec: the pod sandbox (pause container) and skipped containers go to runc untouched.
 */
public sealed interface ContainerRole {

    String CONTAINER_TYPE = "io.kubernetes.cri.container-type";
    String CONTAINER_NAME = "io.kubernetes.cri.container-name";
    /** In a container's spec: the id of its pod's sandbox (which is the sandbox's own container id). */
    String SANDBOX_ID = "io.kubernetes.cri.sandbox-id";

    /** Whether these are the annotations of a pod sandbox (pause container). */
    static boolean isSandbox(Map<String, String> annotations) {
        return "sandbox".equals(annotations.get(CONTAINER_TYPE));
    }

    /** runc runs it exactly as it would without us. */
    record PassThrough(String why) implements ContainerRole {}

    /** The container runs in the activated environment. */
    record Activate(String containerName, PodAnnotations annotations) implements ContainerRole {}

    /** For {@code runc create}: the main process. */
    static ContainerRole forCreate(Map<String, String> annotations) {
        if (isSandbox(annotations)) {
            return new PassThrough("pod sandbox");
        }
        String name = annotations.getOrDefault(CONTAINER_NAME, "");
        PodAnnotations pod = PodAnnotations.parse(annotations);
        if (pod.skipContainers().contains(name)) {
            return new PassThrough("listed in " + PodAnnotations.SKIP_CONTAINERS);
        }
        if (pod.environment().isEmpty()) {
            throw new AnnotationException("container '" + name + "' runs with runtimeClassName flox but the pod has no "
                    + PodAnnotations.ENVIRONMENT + " annotation: set it to \"owner/name\" or \"owner/name:generation\", "
                    + "or list the container in " + PodAnnotations.SKIP_CONTAINERS);
        }
        return new Activate(name, pod);
    }

    /** For {@code runc exec}: kubectl exec and exec probes. */
    static ContainerRole forExec(Map<String, String> annotations) {
        ContainerRole main = forCreate(annotations);
        if (main instanceof Activate a && a.annotations().skipContainersExec().contains(a.containerName())) {
            return new PassThrough("listed in " + PodAnnotations.SKIP_CONTAINERS_EXEC);
        }
        return main;
    }
}
