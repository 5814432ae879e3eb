package org.imageless.node.pod;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imageless.node.cri.api.Capability;
import org.imageless.node.cri.api.ContainerConfig;
import org.imageless.node.cri.api.ContainerMetadata;
import org.imageless.node.cri.api.ImageSpec;
import org.imageless.node.cri.api.Int64Value;
import org.imageless.node.cri.api.KeyValue;
import org.imageless.node.cri.api.LinuxContainerConfig;
import org.imageless.node.cri.api.LinuxContainerSecurityContext;
import org.imageless.node.cri.api.LinuxPodSandboxConfig;
import org.imageless.node.cri.api.LinuxSandboxSecurityContext;
import org.imageless.node.cri.api.Mount;
import org.imageless.node.cri.api.NamespaceMode;
import org.imageless.node.cri.api.NamespaceOption;
import org.imageless.node.cri.api.PodSandboxConfig;
import org.imageless.node.cri.api.PodSandboxMetadata;

/**
 * Translates a Pod into the CRI requests kubelet would send: the sandbox config (metadata,
 * kubelet's labels, the pod's annotations, log directory, namespaces) and one container config
 * per container (image, command, args, env, mounts, security context).
 *
 * <p>Volumes: {@code secret} volumes come from host directories given per secret name
 * ({@code --secret NAME=DIR}, one file per key), mounted read-only; {@code emptyDir} is a fresh
 * host directory under {@code volumeDir}; {@code hostPath} is the host path. Other volume kinds
 * need an API server and are refused by name.
 */
public final class PodConfigs {

    public static final String POD_NAME = "io.kubernetes.pod.name";
    public static final String POD_NAMESPACE = "io.kubernetes.pod.namespace";
    public static final String POD_UID = "io.kubernetes.pod.uid";
    public static final String CONTAINER_NAME = "io.kubernetes.container.name";

    private static final Pattern VARIABLE = Pattern.compile("\\$\\$|\\$\\(([-._a-zA-Z][-._a-zA-Z0-9]*)\\)");

    private final Pod pod;
    private final Map<String, Path> secrets;
    private final Path podVolumes;
    private final PodSandboxConfig sandbox;

    /**
     * @param logRoot   where pod log directories go ({@code /var/log/pods} on a kubelet node)
     * @param volumeDir where emptyDir volumes go, per pod uid
     */
    public PodConfigs(Pod pod, Map<String, Path> secrets, Path logRoot, Path volumeDir) {
        this.pod = pod;
        this.secrets = Map.copyOf(secrets);
        this.podVolumes = volumeDir.resolve(uid()).toAbsolutePath();
        this.sandbox = sandboxConfig(logRoot);
    }

    public String name() {
        return pod.getMetadata().getName();
    }

    public String namespace() {
        return pod.getMetadata().getNamespace();
    }

    public String uid() {
        return pod.getMetadata().getUid();
    }

    /** {@code spec.runtimeClassName}, or empty for the runtime's default handler. */
    public String runtimeHandler() {
        return Optional.ofNullable(pod.getSpec().getRuntimeClassName()).orElse("");
    }

    public PodSandboxConfig sandbox() {
        return sandbox;
    }

    /** The emptyDir volumes of this pod live here (removed with the pod). */
    public Path podVolumes() {
        return podVolumes;
    }

    public List<Container> initContainers() {
        return pod.getSpec().getInitContainers() == null ? List.of() : pod.getSpec().getInitContainers();
    }

    public List<Container> containers() {
        return pod.getSpec().getContainers();
    }

    private PodSandboxConfig sandboxConfig(Path logRoot) {
        PodSpec spec = pod.getSpec();
        Map<String, String> labels = new LinkedHashMap<>();
        if (pod.getMetadata().getLabels() != null) {
            labels.putAll(pod.getMetadata().getLabels());
        }
        labels.put(POD_NAME, name());
        labels.put(POD_NAMESPACE, namespace());
        labels.put(POD_UID, uid());
        Map<String, String> annotations = pod.getMetadata().getAnnotations() == null ? Map.of() : pod.getMetadata().getAnnotations();
        String hostname = spec.getHostname() != null ? spec.getHostname() : name();
        LinuxSandboxSecurityContext.Builder security = LinuxSandboxSecurityContext.newBuilder()
                .setNamespaceOptions(namespaces(spec));
        if (spec.getSecurityContext() != null) {
            var sc = spec.getSecurityContext();
            if (sc.getRunAsUser() != null) {
                security.setRunAsUser(Int64Value.newBuilder().setValue(sc.getRunAsUser()));
            }
            if (sc.getRunAsGroup() != null) {
                security.setRunAsGroup(Int64Value.newBuilder().setValue(sc.getRunAsGroup()));
            }
            if (sc.getSupplementalGroups() != null) {
                security.addAllSupplementalGroups(sc.getSupplementalGroups());
            }
        }
        boolean privileged = containers().stream().anyMatch(PodConfigs::privileged)
                || initContainers().stream().anyMatch(PodConfigs::privileged);
        security.setPrivileged(privileged);
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder()
                        .setName(name()).setNamespace(namespace()).setUid(uid()).setAttempt(0))
                .setHostname(Boolean.TRUE.equals(spec.getHostNetwork()) ? "" : hostname)
                .setLogDirectory(logRoot.toAbsolutePath().resolve(namespace() + "_" + name() + "_" + uid()).toString())
                .putAllLabels(labels)
                .putAllAnnotations(annotations)
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(security))
                .build();
    }

    private static NamespaceOption namespaces(PodSpec spec) {
        NamespaceMode pid = Boolean.TRUE.equals(spec.getHostPID()) ? NamespaceMode.NODE
                : Boolean.TRUE.equals(spec.getShareProcessNamespace()) ? NamespaceMode.POD : NamespaceMode.CONTAINER;
        return NamespaceOption.newBuilder()
                .setNetwork(Boolean.TRUE.equals(spec.getHostNetwork()) ? NamespaceMode.NODE : NamespaceMode.POD)
                .setPid(pid)
                .setIpc(Boolean.TRUE.equals(spec.getHostIPC()) ? NamespaceMode.NODE : NamespaceMode.POD)
                .build();
    }

    private static boolean privileged(Container c) {
        return c.getSecurityContext() != null && Boolean.TRUE.equals(c.getSecurityContext().getPrivileged());
    }

    /** The CRI config of {@code container}, with its mounts' host directories created. {@code podIp} for status.podIP. */
    public ContainerConfig container(Container container, String podIp) {
        Map<String, String> env = environment(container, podIp);
        List<String> command = expand(container.getCommand(), env);
        List<String> args = expand(container.getArgs(), env);
        ContainerConfig.Builder config = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(container.getName()).setAttempt(0))
                .setImage(ImageSpec.newBuilder().setImage(container.getImage()).setUserSpecifiedImage(container.getImage()))
                .addAllCommand(command)
                .addAllArgs(args)
                .setWorkingDir(Optional.ofNullable(container.getWorkingDir()).orElse(""))
                .setLogPath(container.getName() + "/0.log")
                .setStdin(Boolean.TRUE.equals(container.getStdin()))
                .setStdinOnce(Boolean.TRUE.equals(container.getStdinOnce()))
                .setTty(Boolean.TRUE.equals(container.getTty()))
                .putLabels(CONTAINER_NAME, container.getName())
                .putLabels(POD_NAME, name())
                .putLabels(POD_NAMESPACE, namespace())
                .putLabels(POD_UID, uid())
                .putAnnotations("io.kubernetes.container.restartCount", "0")
                .putAnnotations("io.kubernetes.pod.terminationGracePeriod",
                        String.valueOf(Optional.ofNullable(pod.getSpec().getTerminationGracePeriodSeconds()).orElse(30L)))
                .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(securityContext(container)));
        env.forEach((k, v) -> config.addEnvs(KeyValue.newBuilder().setKey(k).setValue(v)));
        config.addAllMounts(mounts(container));
        return config.build();
    }

    private LinuxContainerSecurityContext securityContext(Container container) {
        LinuxContainerSecurityContext.Builder b = LinuxContainerSecurityContext.newBuilder()
                .setNamespaceOptions(namespaces(pod.getSpec()));
        var podSc = pod.getSpec().getSecurityContext();
        if (podSc != null) {
            if (podSc.getRunAsUser() != null) {
                b.setRunAsUser(Int64Value.newBuilder().setValue(podSc.getRunAsUser()));
            }
            if (podSc.getRunAsGroup() != null) {
                b.setRunAsGroup(Int64Value.newBuilder().setValue(podSc.getRunAsGroup()));
            }
            if (podSc.getSupplementalGroups() != null) {
                b.addAllSupplementalGroups(podSc.getSupplementalGroups());
            }
        }
        SecurityContext sc = container.getSecurityContext();
        if (sc != null) {
            b.setPrivileged(Boolean.TRUE.equals(sc.getPrivileged()));
            if (sc.getRunAsUser() != null) {
                b.setRunAsUser(Int64Value.newBuilder().setValue(sc.getRunAsUser()));
            }
            if (sc.getRunAsGroup() != null) {
                b.setRunAsGroup(Int64Value.newBuilder().setValue(sc.getRunAsGroup()));
            }
            b.setReadonlyRootfs(Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem()));
            b.setNoNewPrivs(Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation()));
            if (sc.getCapabilities() != null) {
                Capability.Builder caps = Capability.newBuilder();
                if (sc.getCapabilities().getAdd() != null) {
                    caps.addAllAddCapabilities(sc.getCapabilities().getAdd());
                }
                if (sc.getCapabilities().getDrop() != null) {
                    caps.addAllDropCapabilities(sc.getCapabilities().getDrop());
                }
                b.setCapabilities(caps);
            }
        }
        return b.build();
    }

    private Map<String, String> environment(Container container, String podIp) {
        Map<String, String> env = new LinkedHashMap<>();
        if (container.getEnv() == null) {
            return env;
        }
        for (EnvVar var : container.getEnv()) {
            String value;
            if (var.getValueFrom() == null) {
                value = var.getValue() == null ? "" : expandOne(var.getValue(), env);
            } else if (var.getValueFrom().getSecretKeyRef() != null) {
                var ref = var.getValueFrom().getSecretKeyRef();
                Path file = secretDir(ref.getName(), "env " + var.getName() + " of container '" + container.getName() + "'")
                        .resolve(ref.getKey());
                try {
                    value = Files.readString(file, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new PodException("env " + var.getName() + " of container '" + container.getName() + "': secret '"
                            + ref.getName() + "' has no key '" + ref.getKey() + "' (no file " + file + ")");
                }
            } else if (var.getValueFrom().getFieldRef() != null) {
                value = field(var.getValueFrom().getFieldRef().getFieldPath(), podIp, var.getName(), container.getName());
            } else {
                throw new PodException("env " + var.getName() + " of container '" + container.getName()
                        + "': only value, secretKeyRef and fieldRef work without an API server; set a value");
            }
            env.put(var.getName(), value);
        }
        return env;
    }

    private String field(String path, String podIp, String var, String container) {
        var meta = pod.getMetadata();
        Matcher m = Pattern.compile("metadata\\.(annotations|labels)\\['(.+)'\\]").matcher(path);
        if (m.matches()) {
            Map<String, String> map = m.group(1).equals("labels") ? meta.getLabels() : meta.getAnnotations();
            return map == null ? "" : map.getOrDefault(m.group(2), "");
        }
        return switch (path) {
            case "metadata.name" -> meta.getName();
            case "metadata.namespace" -> meta.getNamespace();
            case "metadata.uid" -> meta.getUid();
            case "spec.nodeName", "spec.serviceAccountName" -> path.equals("spec.nodeName") ? hostName()
                    : Optional.ofNullable(pod.getSpec().getServiceAccountName()).orElse("default");
            case "status.podIP", "status.podIPs" -> podIp;
            default -> throw new PodException("env " + var + " of container '" + container + "': fieldRef '" + path
                    + "' is not known to flox-node (metadata.name/namespace/uid/labels/annotations, spec.nodeName, status.podIP are)");
        };
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    private List<Mount> mounts(Container container) {
        List<Mount> mounts = new ArrayList<>();
        if (container.getVolumeMounts() == null) {
            return mounts;
        }
        Map<String, Volume> volumes = new LinkedHashMap<>();
        if (pod.getSpec().getVolumes() != null) {
            pod.getSpec().getVolumes().forEach(v -> volumes.put(v.getName(), v));
        }
        for (VolumeMount vm : container.getVolumeMounts()) {
            Volume volume = volumes.get(vm.getName());
            if (volume == null) {
                throw new PodException("container '" + container.getName() + "' mounts volume '" + vm.getName()
                        + "', which spec.volumes does not declare");
            }
            boolean readOnly = Boolean.TRUE.equals(vm.getReadOnly());
            Path host;
            if (volume.getSecret() != null) {
                if (volume.getSecret().getItems() != null && !volume.getSecret().getItems().isEmpty()) {
                    throw new PodException("volume '" + volume.getName() + "': secret items are not supported by flox-node;"
                            + " mount the whole secret (one file per key)");
                }
                host = secretDir(volume.getSecret().getSecretName(), "volume '" + volume.getName() + "'");
                readOnly = true;
            } else if (volume.getEmptyDir() != null) {
                host = emptyDir(volume.getName());
            } else if (volume.getHostPath() != null) {
                host = Path.of(volume.getHostPath().getPath());
                if ("DirectoryOrCreate".equals(volume.getHostPath().getType())) {
                    createDirectories(host);
                }
            } else {
                throw new PodException("volume '" + volume.getName() + "': only secret (with --secret), emptyDir and hostPath"
                        + " volumes work without an API server");
            }
            if (vm.getSubPath() != null && !vm.getSubPath().isBlank()) {
                if (vm.getSubPath().startsWith("/") || List.of(vm.getSubPath().split("/")).contains("..")) {
                    throw new PodException("volume mount '" + vm.getName() + "': subPath '" + vm.getSubPath()
                            + "' must be relative, without '..'");
                }
                host = host.resolve(vm.getSubPath());
            }
            mounts.add(Mount.newBuilder()
                    .setContainerPath(vm.getMountPath())
                    .setHostPath(host.toAbsolutePath().toString())
                    .setReadonly(readOnly)
                    .build());
        }
        return mounts;
    }

    private Path secretDir(String secret, String what) {
        Path dir = secrets.get(secret);
        if (dir == null) {
            throw new PodException(what + " needs secret '" + secret + "': pass --secret " + secret
                    + "=DIR (a directory with one file per key)");
        }
        if (!Files.isDirectory(dir)) {
            throw new PodException("secret '" + secret + "': " + dir + " is not a directory (one file per key expected)");
        }
        return dir.toAbsolutePath();
    }

    private Path emptyDir(String volume) {
        Path dir = podVolumes.resolve("empty-dir").resolve(volume);
        createDirectories(dir);
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new PodException("cannot create " + dir + ": " + e.getMessage());
        }
    }

    private static List<String> expand(List<String> values, Map<String, String> env) {
        return values == null ? List.of() : values.stream().map(v -> expandOne(v, env)).toList();
    }

    /** Kubernetes' {@code $(VAR)} expansion: defined variables are replaced, {@code $$} is {@code $}, the rest stays. */
    static String expandOne(String value, Map<String, String> env) {
        Matcher m = VARIABLE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement = m.group().equals("$$") ? "$" : env.getOrDefault(m.group(1), m.group());
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }
}
