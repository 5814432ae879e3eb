package org.imageless.cli.commands;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.imageless.cli.Session;
import org.imageless.cli.env.Environment;
import picocli.CommandLine.Option;

/** Base of every subcommand: the session of this invocation, and the exit code on success. */
public abstract class FloxCommand implements Callable<Integer> {

    private static final ThreadLocal<Session> CURRENT = new ThreadLocal<>();

    public static void bind(Session session) {
        if (session == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(session);
        }
    }

    protected Session session() {
        return CURRENT.get();
    }

    @Override
    public Integer call() throws Exception {
        run();
        return 0;
    }

    protected abstract void run() throws Exception;

    /** {@code -d DIR} and {@code -r OWNER/NAME}, as Flox's environment options. */
    public static final class EnvOptions {
        @Option(names = {"-d", "--dir"}, paramLabel = "DIR", description = "Path containing a .flox/ directory.")
        Path dir;

        @Option(names = {"-r", "--remote"}, paramLabel = "OWNER/NAME",
                description = "A FloxHub environment, worked on in a cached copy (push it with 'flox push -r').")
        String remote;

        public Environment select(Session session) {
            return Environment.select(session, dir, remote);
        }
    }

    /** What to tell the user after a change, so they know whether the hub has it. */
    protected void reportChange(Environment env, String message) {
        session().out().println(message);
        if (env.form() != Environment.Form.PATH) {
            session().err().println("ℹ️  this is a new local generation of " + env.description()
                    + "; run 'flox push" + env.flag() + "' to make it live on FloxHub");
        }
    }
}
