package org.imageless.node;

import java.io.PrintWriter;
import org.imageless.nix.NixException;
import org.imageless.node.containerd.ContainerdCommand;
import org.imageless.node.image.ImageCommand;
import org.imageless.node.pod.PodCommand;
import org.imageless.node.store.StoreCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code flox-node}: node tooling for operators and tests. */
@Command(name = "flox-node", mixinStandardHelpOptions = true, version = "flox-node 0.1.0",
        description = "Node tooling for Imageless Kubernetes: the node store and its realisation from binary caches.",
        subcommands = {StoreCommand.class, Prefetch.class, RuntimeCommand.class, PodCommand.class, ImageCommand.class, ContainerdCommand.class, AotTraining.class, CommandLine.HelpCommand.class})
public final class FloxNode {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new FloxNode()).setExecutionExceptionHandler(FloxNode::handle);
    }

    /** The one place where failures become messages and exit codes. */
    private static int handle(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        err.println("flox-node: error: " + e.getMessage());
        err.flush();
        return exitCode(e);
    }

    /** Exit codes by kind of failure ({@link NixException.Kind#exitCode()}), 1 for anything else. */
    static int exitCode(Exception e) {
        return e instanceof NixException n ? n.kind().exitCode() : 1;
    }
}
