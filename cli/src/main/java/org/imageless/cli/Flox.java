package org.imageless.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import org.imageless.cli.commands.ActivateCommand;
import org.imageless.cli.commands.AuthCommands;
import org.imageless.cli.commands.CatalogCommands;
import org.imageless.cli.commands.EditCommands;
import org.imageless.cli.commands.FloxCommand;
import org.imageless.cli.commands.GenerationsCommands;
import org.imageless.cli.commands.PublishCommand;
import org.imageless.cli.commands.SyncCommands;
import org.imageless.environment.EnvironmentFormatException;
import org.imageless.nix.NixException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code flox}: create, change, push and activate environments on FloxHub. Exit codes: 0 success,
 * then by kind of error as every tool of the project ({@link NixException.Kind#exitCode()}): 1 local
 * I/O, 2 invalid input (usage errors too), 3 not found, 4 corrupt data, 5 hub unavailable, 6 denied.
 */
@Command(name = "flox", mixinStandardHelpOptions = true, version = "flox (imageless) 0.1.0",
        description = "Manage environments on FloxHub: create, change, push, pull, activate, publish.",
        subcommands = {EditCommands.Init.class, EditCommands.Install.class, EditCommands.Uninstall.class,
                EditCommands.ListPackages.class, EditCommands.Edit.class, EditCommands.Upgrade.class,
                CatalogCommands.Search.class, CatalogCommands.Show.class, SyncCommands.Push.class,
                SyncCommands.Pull.class, GenerationsCommands.class, AuthCommands.class, ActivateCommand.class,
                PublishCommand.class, CommandLine.HelpCommand.class})
public final class Flox {

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("aot-training")) {
            System.exit(AotTraining.run());
        }
        // Flox's messages carry emoji: UTF-8 whatever the locale says (a C locale would print '?')
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                java.nio.charset.StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true,
                java.nio.charset.StandardCharsets.UTF_8);
        System.setOut(out);
        System.setErr(err);
        int code = execute(System.getenv(), Path.of(""), out, err, args);
        out.flush();
        System.exit(code);
    }

    /** Runs one command line; returns its exit code. Never calls {@link System#exit}. */
    public static int execute(Map<String, String> env, Path cwd, PrintStream out, PrintStream err, String... args) {
        try (Session session = new Session(env, cwd, out, err, argv(args))) {
            FloxCommand.bind(session);
            CommandLine cli = new CommandLine(new Flox());
            cli.setOut(new java.io.PrintWriter(out, true));
            cli.setErr(new java.io.PrintWriter(err, true));
            cli.setExecutionExceptionHandler((e, line, parsed) -> report(err, e));
            cli.setParameterExceptionHandler((e, a) -> {
                err.println("flox: " + e.getMessage());
                err.println("Run '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
                return NixException.Kind.INVALID.exitCode();
            });
            return cli.execute(args);
        } finally {
            FloxCommand.bind(null);
        }
    }

    private static java.util.List<String> argv(String... args) {
        java.util.List<String> argv = new java.util.ArrayList<>();
        argv.add("flox");
        argv.addAll(java.util.List.of(args));
        return argv;
    }

    static int report(PrintStream err, Exception e) {
        if (e instanceof NixException n) {
            err.println("❌ ERROR: " + n.getMessage());
            return n.kind().exitCode();
        }
        if (e instanceof EnvironmentFormatException f) {
            err.println("❌ ERROR: " + f.getMessage());
            return NixException.Kind.INVALID.exitCode();
        }
        if (e instanceof java.io.IOException io) {
            err.println("❌ ERROR: " + io.getMessage());
            return NixException.Kind.IO.exitCode();
        }
        err.println("❌ ERROR: unexpected " + e);
        e.printStackTrace(err);
        return 70;
    }
}
