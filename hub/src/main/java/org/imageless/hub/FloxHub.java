package org.imageless.hub;

import java.io.PrintWriter;
import org.imageless.hub.admin.AdminCommand;
import org.imageless.hub.server.ServeCommand;
import org.imageless.nix.NixException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code floxhub}: the hub server and its administration commands. */
@Command(name = "floxhub", mixinStandardHelpOptions = true, version = "floxhub 0.1.0",
        description = "FloxHub: environments, packages, the binary cache and access for Imageless Kubernetes.",
        subcommands = {ServeCommand.class, AdminCommand.class, AotTraining.class, CommandLine.HelpCommand.class})
public final class FloxHub {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return new CommandLine(new FloxHub()).setExecutionExceptionHandler(FloxHub::handle);
    }

    /** The one place where failures become messages and exit codes. */
    private static int handle(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        err.println("floxhub: error: " + e.getMessage());
        err.flush();
        return exitCode(e);
    }

    /** Exit codes by kind: the hub's own kinds, then the numbers every tool uses ({@link NixException.Kind#exitCode()}). */
    static int exitCode(Exception e) {
        if (e instanceof HubException h) {
            return switch (h.kind()) {
                case INVALID -> NixException.Kind.INVALID.exitCode();
                case NOT_FOUND -> NixException.Kind.NOT_FOUND.exitCode();
                case UNAVAILABLE -> NixException.Kind.UNAVAILABLE.exitCode();
                case UNAUTHENTICATED, FORBIDDEN -> NixException.Kind.DENIED.exitCode();
                case CONFLICT -> 7;
            };
        }
        return e instanceof NixException n ? n.kind().exitCode() : 1;
    }
}
