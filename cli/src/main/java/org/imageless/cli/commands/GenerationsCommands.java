package org.imageless.cli.commands;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.imageless.cli.env.Environment;
import org.imageless.cli.env.Floxmeta;
import org.imageless.environment.generation.GenerationsMetadata;
import org.imageless.environment.generation.HistoryEntry;
import org.imageless.nix.NixException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code flox generations list|history|switch|rollback}. */
@Command(name = "generations", description = "Generations of an environment pushed to FloxHub.",
        subcommands = {GenerationsCommands.ListGenerations.class, GenerationsCommands.History.class,
                GenerationsCommands.Switch.class, GenerationsCommands.Rollback.class})
public final class GenerationsCommands {

    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    static GenerationsMetadata metadata(Environment env) {
        Floxmeta.Snapshot s = env.head();
        if (s == null) {
            throw new NixException(NixException.Kind.NOT_FOUND, "environment " + env.description()
                    + " has no generations yet: push it with 'flox push'");
        }
        return s.metadata();
    }

    @Command(name = "list", description = "List the generations of an environment.")
    public static final class ListGenerations extends FloxCommand {
        @Mixin
        EnvOptions envOptions = new EnvOptions();

        @Override
        protected void run() {
            Environment env = envOptions.select(session());
            GenerationsMetadata md = metadata(env);
            int live = md.liveGeneration().orElse(0);
            for (int n : md.generations()) {
                HistoryEntry e = md.creation(n);
                session().out().printf("%d%s: %s, by %s on %s at %s%n", n, n == live ? " (live)" : "", e.summary(),
                        e.author(), e.hostname(), TIME.format(Instant.ofEpochSecond(e.timestamp())));
            }
        }
    }

    @Command(name = "history", description = "Show the change log of an environment.")
    public static final class History extends FloxCommand {
        @Mixin
        EnvOptions envOptions = new EnvOptions();

        @Override
        protected void run() {
            Environment env = envOptions.select(session());
            for (HistoryEntry e : metadata(env).history()) {
                session().out().printf("%s  %s@%s  generation %d: %s%s%n", TIME.format(Instant.ofEpochSecond(e.timestamp())),
                        e.author(), e.hostname(), e.currentGeneration(), e.summary(),
                        e.commandLine() == null ? "" : " (" + e.commandLine() + ")");
            }
        }
    }

    @Command(name = "switch", description = "Make generation N live.")
    public static final class Switch extends FloxCommand {
        @Mixin
        EnvOptions envOptions = new EnvOptions();

        @Parameters(paramLabel = "N", description = "The generation to make live.")
        int generation;

        @Override
        protected void run() {
            Environment env = envOptions.select(session());
            env.switchTo(generation);
            reportChange(env, "✅ switched " + env.description() + " to generation " + generation);
        }
    }

    @Command(name = "rollback", description = "Make the previously live generation live again.")
    public static final class Rollback extends FloxCommand {
        @Mixin
        EnvOptions envOptions = new EnvOptions();

        @Override
        protected void run() {
            Environment env = envOptions.select(session());
            HistoryEntry last = metadata(env).history().getLast();
            if (last.previousGeneration() == null) {
                throw NixException.invalid("environment %s has no generation to roll back to: generation %d is its first",
                        env.description(), last.currentGeneration());
            }
            env.switchTo(last.previousGeneration());
            reportChange(env, "✅ rolled " + env.description() + " back to generation " + last.previousGeneration());
        }
    }
}
