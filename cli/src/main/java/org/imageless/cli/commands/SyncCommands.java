package org.imageless.cli.commands;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.jgit.lib.ObjectId;
import org.imageless.cli.env.Environment;
import org.imageless.cli.env.Floxmeta;
import org.imageless.environment.EnvironmentRef;
import org.imageless.environment.generation.HistoryEntry;
import org.imageless.nix.NixException;
import org.imageless.nix.NixException.Kind;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flox push} and {@code flox pull}: generations to and from FloxHub over git. */
public final class SyncCommands {

    private SyncCommands() {
    }

    @Command(name = "push", description = "Send an environment's generations to FloxHub.")
    public static final class Push extends FloxCommand {
        @Option(names = {"-d", "--dir"}, paramLabel = "DIR", description = "Path containing a .flox/ directory.")
        Path dir;

        @Option(names = {"-r", "--remote"}, paramLabel = "OWNER/NAME", description = "Push the cached copy of a FloxHub environment.")
        String remote;

        @Option(names = {"-o", "--owner", "--org"}, paramLabel = "OWNER", description = "Owner to push a new environment to (default: you).")
        String owner;

        @Option(names = {"-f", "--force"}, description = "Push even if FloxHub has generations you have not pulled: "
                + "yours becomes a new generation on top of them.")
        boolean force;

        @Override
        protected void run() {
            session().hub().requireToken();
            Environment env = Environment.select(session(), dir, remote);
            if (env.form() == Environment.Form.PATH) {
                String to = owner != null ? owner : session().hubUser();
                env = env.managedBy(to);
                firstPush(env);
                return;
            }
            if (owner != null && !owner.equals(env.owner())) {
                throw NixException.invalid("environment %s is owned by '%s' already; -o applies to the first push only",
                        env.description(), env.owner());
            }
            Floxmeta meta = env.meta();
            Optional<ObjectId> hub = meta.fetch(env.name());
            Optional<ObjectId> local = meta.local(env.name());
            if (local.isEmpty()) {
                throw new NixException(Kind.NOT_FOUND, "no generations of " + env.description() + " to push: pull it with 'flox pull'");
            }
            if (hub.isPresent() && !meta.isAncestor(hub.get(), local.get())) {
                if (!force) {
                    Floxmeta.Snapshot theirs = meta.read(hub.get());
                    HistoryEntry last = theirs.metadata().history().getLast();
                    throw new NixException(Kind.INVALID, "FloxHub has changes to " + env.description()
                            + " that you do not have (generation " + last.currentGeneration() + " by " + last.author()
                            + " on " + last.hostname() + "): run 'flox pull" + pullFlags(env)
                            + " --force' to take them (your local changes are dropped) and apply your change again, "
                            + "or 'flox push" + env.flag() + " --force' to push your version as a new generation on top of theirs");
                }
                forceOnTop(env, meta, hub.get(), local.get());
            }
            if (hub.isPresent() && meta.local(env.name()).get().equals(hub.get())) {
                session().out().println("ℹ️  " + env.description() + " is up to date on FloxHub");
                return;
            }
            pushOrExplain(env, meta);
            int live = env.liveGeneration().orElse(0);
            session().out().printf("✅ updates to %s pushed to FloxHub: generation %d is live%n", env.description(), live);
        }

        private void firstPush(Environment env) {
            Floxmeta meta = env.meta();
            Optional<ObjectId> hub = meta.fetch(env.name());
            if (hub.isPresent() && !force) {
                throw new NixException(Kind.INVALID, "FloxHub already has an environment " + env.description()
                        + ": pull it with 'flox pull " + env.description() + "' into another directory, choose another "
                        + "name ('flox init -n'), or push with --force to add yours as a new generation of it");
            }
            if (hub.isPresent()) {
                meta.setLocal(env.name(), hub.get());
            } else if (meta.local(env.name()).isPresent()) {
                // an old local branch of a deleted environment: start again
                meta.deleteLocal(env.name());
            }
            String manifest = env.manifestText();
            env.change(manifest, env.lock(), new HistoryEntry.Change(HistoryEntry.Kind.IMPORT, null, null));
            pushOrExplain(env, meta);
            session().out().printf("🚀 pushed environment '%s' to FloxHub as %s (generation %d)%n", env.name(),
                    env.description(), env.liveGeneration().orElse(1));
        }

        private void forceOnTop(Environment env, Floxmeta meta, ObjectId hub, ObjectId local) {
            Floxmeta.Snapshot mine = meta.read(local);
            int myLive = mine.metadata().liveGeneration().getAsInt();
            Environment.GenerationFiles files = env.generation(myLive);
            HistoryEntry myLast = mine.metadata().history().getLast();
            meta.setLocal(env.name(), hub);
            HistoryEntry.Change change = myLast.createsGeneration() ? myLast.change()
                    : HistoryEntry.Change.other("forced push of generation " + myLive);
            env.change(files.manifest(), files.lock(), change);
        }

        private void pushOrExplain(Environment env, Floxmeta meta) {
            String problem = meta.push(env.name());
            if (problem == null) {
                return;
            }
            if (problem.contains("non-fast-forward")) {
                throw new NixException(Kind.INVALID, "FloxHub refused the push of " + env.description()
                        + ": someone pushed a new generation meanwhile; run 'flox pull" + pullFlags(env)
                        + "' (or push with --force)");
            }
            if (problem.toLowerCase(java.util.Locale.ROOT).contains("not authorized") || problem.contains("403")) {
                throw new NixException(Kind.DENIED, "FloxHub refused the push of " + env.description() + ": " + problem
                        + "; you need the writer role in '" + env.owner() + "'");
            }
            throw new NixException(Kind.INVALID, "FloxHub refused the push of " + env.description() + ": " + problem);
        }
    }

    static String pullFlags(Environment env) {
        return env.form() == Environment.Form.REMOTE ? " -r " + env.description() : "";
    }

    @Command(name = "pull", description = "Pull an environment from FloxHub.")
    public static final class Pull extends FloxCommand {
        @Option(names = {"-d", "--dir"}, paramLabel = "DIR", description = "Directory to pull into (default: the current one).")
        Path dir;

        @Option(names = {"-r", "--remote"}, paramLabel = "OWNER/NAME", description = "Refresh the cached copy of a FloxHub environment.")
        String remote;

        @Option(names = {"-g", "--generation"}, paramLabel = "N", description = "Check out generation N instead of the live one.")
        Integer generation;

        @Option(names = {"-f", "--force"}, description = "Replace local changes and existing environments.")
        boolean force;

        @Parameters(arity = "0..1", paramLabel = "OWNER/NAME", description = "The environment to pull into a new .flox.")
        String ref;

        @Override
        protected void run() throws Exception {
            if (ref != null && remote != null) {
                throw NixException.invalid("give OWNER/NAME or -r OWNER/NAME, not both");
            }
            Environment env;
            if (ref != null) {
                EnvironmentRef r = Environment.parseRemote(ref);
                Path target = session().resolve(dir == null ? Path.of(".") : dir);
                Path dotFlox = target.resolve(Environment.DOT_FLOX);
                if (Files.exists(dotFlox.resolve("env.json"))) {
                    Environment existing = Environment.open(session(), target);
                    if (!force && !(r.owner().equals(existing.owner()) && r.name().equals(existing.name()))) {
                        throw NixException.invalid("%s already holds environment '%s': pull into another directory with -d, "
                                + "or replace it with --force", target, existing.description());
                    }
                    if (force) {
                        deleteTree(dotFlox);
                    }
                }
                Files.createDirectories(target);
                env = Environment.init(session(), target, r.name(), EditCommands.template(org.imageless.cli.Session.system()))
                        .managedBy(r.owner());
            } else {
                env = Environment.select(session(), dir, remote);
                if (env.form() == Environment.Form.PATH) {
                    throw NixException.invalid("%s is a local environment: there is nothing to pull (push it with 'flox push')",
                            env.name());
                }
            }
            Floxmeta meta = env.meta();
            Optional<ObjectId> hub = meta.fetch(env.name());
            if (hub.isEmpty()) {
                throw Environment.notVisible(session(), env.owner(), env.description());
            }
            Optional<ObjectId> local = meta.local(env.name());
            if (local.isPresent() && !meta.isAncestor(local.get(), hub.get()) && !force && ref == null) {
                throw new NixException(Kind.INVALID, "your copy of " + env.description()
                        + " has generations FloxHub does not have: push them with 'flox push" + env.flag()
                        + "', or drop them with 'flox pull" + env.flag() + " --force'");
            }
            meta.setLocal(env.name(), hub.get());
            int live = env.liveGeneration().orElseThrow();
            int n = generation == null ? live : generation;
            Environment.GenerationFiles g = env.generation(n);
            if (env.form() == Environment.Form.MANAGED) {
                env.writeFiles(g.manifest(), g.lock());
            }
            session().out().printf("✨ pulled %s from FloxHub (generation %d%s)%n", env.description(), n,
                    n == live ? ", live" : ", live is " + live);
        }

        private static void deleteTree(Path p) throws java.io.IOException {
            try (var walk = Files.walk(p)) {
                for (Path x : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(x);
                }
            }
        }
    }
}
