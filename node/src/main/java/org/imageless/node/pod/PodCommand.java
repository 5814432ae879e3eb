package org.imageless.node.pod;

import io.fabric8.kubernetes.api.model.Pod;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.imageless.node.cri.CriClient;
import org.imageless.node.cri.api.Container;
import org.imageless.node.cri.api.ExecSyncResponse;
import org.imageless.node.cri.api.PodSandbox;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flox-node pod}: run a Pod manifest through the node's CRI as kubelet would, without a cluster. */
@Command(name = "pod", mixinStandardHelpOptions = true,
        description = "Run Kubernetes Pod manifests through this node's containerd (CRI), as kubelet would: for debugging a node without a cluster.",
        subcommands = {PodCommand.Run.class, PodCommand.Exec.class, PodCommand.Logs.class, PodCommand.Rm.class, PodCommand.Ls.class})
public final class PodCommand {

    static final String DEFAULT_LOG_DIR = "/var/log/pods";
    static final String DEFAULT_VOLUME_DIR = "/var/lib/flox/pods";

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Run POD.yaml: RunPodSandbox (runtime handler = spec.runtimeClassName), then CreateContainer and StartContainer for each container. Prints the sandbox id and each container's id and state.")
    static final class Run implements Callable<Integer> {

        @Mixin
        CriOptions cri;

        @Parameters(index = "0", paramLabel = "POD.yaml", description = "A Pod manifest (YAML or JSON).")
        Path manifest;

        @Option(names = "--secret", paramLabel = "NAME=DIR",
                description = "Serve secret NAME from DIR (one file per key) to the pod's secret volumes and secretKeyRef env; repeatable.")
        Map<String, Path> secrets = new LinkedHashMap<>();

        @Option(names = "--log-dir", paramLabel = "DIR", description = "Root of the pods' log directories; default: ${DEFAULT-VALUE}.")
        Path logDir = Path.of(DEFAULT_LOG_DIR);

        @Option(names = "--volume-dir", paramLabel = "DIR", description = "Where emptyDir volumes are made; default: ${DEFAULT-VALUE}.")
        Path volumeDir = Path.of(DEFAULT_VOLUME_DIR);

        @Option(names = "--init-timeout", paramLabel = "SECONDS", description = "How long each init container may run; default: ${DEFAULT-VALUE}.")
        long initTimeout = 300;

        @Override
        public Integer call() {
            Pod pod = PodManifest.read(manifest);
            PodConfigs configs = new PodConfigs(pod, secrets, logDir, volumeDir);
            PrintStream out = System.out;
            try (CriClient client = cri.connect()) {
                PodRunner.RunningPod running = new PodRunner(client).run(configs, Duration.ofSeconds(initTimeout));
                out.println("pod " + running.namespace() + "/" + running.name() + " sandbox " + running.sandboxId()
                        + " handler " + (running.runtimeHandler().isEmpty() ? "(default)" : running.runtimeHandler()));
                int exit = 0;
                for (PodRunner.StartedContainer c : running.containers()) {
                    out.println("container " + c.name() + " " + c.id() + " " + c.describe());
                    if (c.state() == org.imageless.node.cri.api.ContainerState.CONTAINER_EXITED && c.exitCode() != 0
                            && configs.containers().stream().anyMatch(k -> k.getName().equals(c.name()))) {
                        System.err.println("flox-node: container " + c.name() + " " + c.describe()
                                + new PodRunner(client).failure(c.id()));
                        exit = 1;
                    }
                }
                return exit;
            }
        }
    }

    @Command(name = "exec", mixinStandardHelpOptions = true,
            description = "Run a command in a pod's container (CRI ExecSync, as exec probes do); exits with the command's exit code.")
    static final class Exec implements Callable<Integer> {

        @Mixin
        CriOptions cri;

        @Option(names = {"-n", "--namespace"}, description = "The pod's namespace; default: ${DEFAULT-VALUE}.")
        String namespace = "default";

        @Option(names = {"-c", "--container"}, description = "The container; default: the pod's first running container.")
        String container;

        @Option(names = "--timeout", paramLabel = "SECONDS", description = "Give up after this many seconds (0: no limit); default: ${DEFAULT-VALUE}.")
        long timeout = 0;

        @Parameters(index = "0", paramLabel = "POD")
        String pod;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments (after --).")
        List<String> command;

        @Override
        public Integer call() throws java.io.IOException {
            try (CriClient client = cri.connect()) {
                PodRunner runner = new PodRunner(client);
                Container c = runner.container(runner.require(namespace, pod), container);
                ExecSyncResponse response = client.execSync(c.getId(), command, timeout);
                System.out.write(response.getStdout().toByteArray());
                System.out.flush();
                System.err.write(response.getStderr().toByteArray());
                System.err.flush();
                return response.getExitCode();
            }
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true, description = "Print a pod's container log (stdout and stderr, as kubectl logs).")
    static final class Logs implements Callable<Integer> {

        @Mixin
        CriOptions cri;

        @Option(names = {"-n", "--namespace"}, description = "The pod's namespace; default: ${DEFAULT-VALUE}.")
        String namespace = "default";

        @Option(names = {"-c", "--container"}, description = "The container; default: the pod's first running container.")
        String container;

        @Parameters(index = "0", paramLabel = "POD")
        String pod;

        @Override
        public Integer call() {
            try (CriClient client = cri.connect()) {
                PodRunner runner = new PodRunner(client);
                Container c = runner.container(runner.require(namespace, pod), container);
                runner.logs(c.getId()).forEach(System.out::println);
                return 0;
            }
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Stop and remove a pod (StopPodSandbox, RemovePodSandbox) and its emptyDir volumes.")
    static final class Rm implements Callable<Integer> {

        @Mixin
        CriOptions cri;

        @Option(names = {"-n", "--namespace"}, description = "The pod's namespace; default: ${DEFAULT-VALUE}.")
        String namespace = "default";

        @Option(names = "--volume-dir", paramLabel = "DIR", description = "Where pod run made emptyDir volumes; default: ${DEFAULT-VALUE}.")
        Path volumeDir = Path.of(DEFAULT_VOLUME_DIR);

        @Parameters(index = "0..*", arity = "1..*", paramLabel = "POD")
        List<String> pods;

        @Override
        public Integer call() {
            try (CriClient client = cri.connect()) {
                PodRunner runner = new PodRunner(client);
                for (String pod : pods) {
                    String id = runner.remove(namespace, pod, volumeDir);
                    System.out.println("removed pod " + namespace + "/" + pod + " sandbox " + id);
                }
                return 0;
            }
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "List the pods on this node (every CRI pod sandbox, kubelet's too).")
    static final class Ls implements Callable<Integer> {

        @Mixin
        CriOptions cri;

        @Override
        public Integer call() {
            try (CriClient client = cri.connect()) {
                PodRunner runner = new PodRunner(client);
                List<PodSandbox> pods = runner.list();
                System.out.printf("%-15s %-30s %-9s %-10s %-13s %s%n", "NAMESPACE", "NAME", "STATE", "HANDLER", "SANDBOX", "CONTAINERS");
                for (PodSandbox p : pods) {
                    String containers = runner.containers(p.getId()).stream()
                            .map(c -> c.getMetadata().getName() + ":" + c.getState().name().substring("CONTAINER_".length()).toLowerCase(java.util.Locale.ROOT))
                            .collect(Collectors.joining(","));
                    System.out.printf("%-15s %-30s %-9s %-10s %-13s %s%n", p.getMetadata().getNamespace(), p.getMetadata().getName(),
                            p.getState() == org.imageless.node.cri.api.PodSandboxState.SANDBOX_READY ? "ready" : "notready",
                            p.getRuntimeHandler().isEmpty() ? "(default)" : p.getRuntimeHandler(),
                            p.getId().substring(0, Math.min(13, p.getId().length())), containers);
                }
                return 0;
            }
        }
    }
}
