package org.imageless.node.pod;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Reads a Kubernetes Pod manifest (YAML or JSON) into fabric8's {@link Pod}, with the checks the API server would make. */
public final class PodManifest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private PodManifest() {}

    public static Pod read(Path file) {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new PodException("pod manifest " + file + " does not exist");
        } catch (IOException e) {
            throw new PodException("cannot read pod manifest " + file + ": " + e.getMessage());
        }
    }

    /**
     * Parses and validates a Pod; fills what the API server would (namespace {@code default}, a
     * fresh uid) so the result can go to the CRI as it is.
     */
    public static Pod parse(String text, String source) {
        Pod pod;
        try {
            pod = YAML.readValue(text, Pod.class);
        } catch (JsonProcessingException e) {
            throw new PodException(source + ": not a valid pod manifest: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
        }
        if (pod == null) {
            throw new PodException(source + ": the file is empty; expected a manifest with kind: Pod");
        }
        if (pod.getKind() != null && !pod.getKind().equals("Pod")) {
            throw new PodException(source + ": kind is '" + pod.getKind()
                    + "'; flox-node pod run runs a single Pod (take the pod template out of a " + pod.getKind() + ")");
        }
        ObjectMeta meta = pod.getMetadata();
        if (meta == null || meta.getName() == null || meta.getName().isBlank()) {
            throw new PodException(source + ": metadata.name is missing; every pod needs a name");
        }
        requireDnsLabel(source, "metadata.name", meta.getName());
        if (meta.getNamespace() == null || meta.getNamespace().isBlank()) {
            meta.setNamespace("default");
        }
        requireDnsLabel(source, "metadata.namespace", meta.getNamespace());
        if (meta.getUid() == null || meta.getUid().isBlank()) {
            meta.setUid(UUID.randomUUID().toString());
        }
        if (pod.getSpec() == null || pod.getSpec().getContainers() == null || pod.getSpec().getContainers().isEmpty()) {
            throw new PodException(source + ": spec.containers is empty; a pod needs at least one container");
        }
        Set<String> names = new HashSet<>();
        List<Container> all = new java.util.ArrayList<>(pod.getSpec().getContainers());
        if (pod.getSpec().getInitContainers() != null) {
            all.addAll(pod.getSpec().getInitContainers());
        }
        for (Container c : all) {
            if (c.getName() == null || c.getName().isBlank()) {
                throw new PodException(source + ": a container has no name; give each container a name");
            }
            requireDnsLabel(source, "container name", c.getName());
            if (!names.add(c.getName())) {
                throw new PodException(source + ": two containers are named '" + c.getName() + "'; container names must be unique");
            }
            if (c.getImage() == null || c.getImage().isBlank()) {
                throw new PodException(source + ": container '" + c.getName() + "' has no image"
                        + " (Flox pods use image: flox/empty:1.0.0)");
            }
        }
        return pod;
    }

    private static void requireDnsLabel(String source, String what, String value) {
        if (!value.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
            throw new PodException(source + ": " + what + " '" + value
                    + "' is not a DNS label (lower-case letters, digits and '-', at most 63, starting and ending alphanumeric)");
        }
    }
}
