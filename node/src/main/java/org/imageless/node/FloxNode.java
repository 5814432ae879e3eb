package org.imageless.node;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code flox-node}: node tooling for operators and tests. */
@Command(name = "flox-node", mixinStandardHelpOptions = true, version = "flox-node 0.1.0",
        description = "Node tooling for Imageless Kubernetes: the node store and its realisation from binary caches.",
        subcommands = {CommandLine.HelpCommand.class})
public final class FloxNode {

    public static void main(String[] args) {
        System.exit(new CommandLine(new FloxNode()).execute(args));
    }
}
