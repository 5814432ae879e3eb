package org.imageless.runtime.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** OCI bundles as containerd prepares them for a CRI container: config.json plus an (empty) rootfs. */
public final class Bundles {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Bundles() {
    }

    /** Annotations containerd sets for a container of pod {@code pod} plus the pod's own. */
    public static Map<String, String> container(String name, Map<String, String> podAnnotations) {
        Map<String, String> a = new java.util.LinkedHashMap<>();
        a.put("io.kubernetes.cri.container-type", "container");
        a.put("io.kubernetes.cri.container-name", name);
        a.put("io.kubernetes.cri.sandbox-name", "pod-1");
        a.put("io.kubernetes.cri.sandbox-namespace", "default");
        a.putAll(podAnnotations);
        return a;
    }

    /**
     * Writes a bundle whose config.json is runc's default spec ({@code runc spec}, as a runtime would
     * get from containerd) with these args, annotations and extra mounts, not on a terminal.
     */
    public static Path write(Path bundle, List<String> args, Map<String, String> annotations, List<Map<String, Object>> mounts)
            throws IOException {
        Files.createDirectories(bundle.resolve("rootfs"));
        ObjectNode spec = (ObjectNode) JSON.readTree(SPEC);
        ObjectNode process = (ObjectNode) spec.get("process");
        process.put("terminal", false);
        ArrayNode a = process.putArray("args");
        args.forEach(a::add);
        ObjectNode ann = spec.putObject("annotations");
        annotations.forEach(ann::put);
        ArrayNode m = (ArrayNode) spec.get("mounts");
        for (Map<String, Object> mount : mounts) {
            m.add(JSON.valueToTree(mount));
        }
        Files.writeString(bundle.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(spec));
        return bundle;
    }

    /** runc 1.1's {@code runc spec} with containerd's default capabilities (as a CRI container gets them). */
    static final String SPEC = """
            {
              "ociVersion": "1.0.2-dev",
              "process": {
                "terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["sh"],
                "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
                "cwd": "/",
                "capabilities": {
                  "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
                  "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
                  "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
                  "ambient": []
                },
                "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
                "noNewPrivileges": true
              },
              "root": {"path": "rootfs", "readonly": true},
              "hostname": "runc",
              "mounts": [
                {"destination": "/proc", "type": "proc", "source": "proc"},
                {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
                {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
                {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
                {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
                {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
              ],
              "linux": {
                "resources": {"devices": [{"allow": false, "access": "rwm"}]},
                "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
                "maskedPaths": ["/proc/acpi", "/proc/kcore", "/proc/keys", "/sys/firmware"],
                "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
              }
            }
            """;
}
