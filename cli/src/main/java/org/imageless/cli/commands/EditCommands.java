package org.imageless.cli.commands;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.imageless.cli.Session;
import org.imageless.cli.env.Environment;
import org.imageless.cli.env.Locker;
import org.imageless.environment.generation.HistoryEntry;
import org.imageless.environment.lock.LockedPackage;
import org.imageless.environment.lock.Lockfile;
import org.imageless.environment.manifest.InstallEntry;
import org.imageless.environment.manifest.Manifest;
import org.imageless.environment.manifest.ManifestEditor;
import org.imageless.nix.NixException;
import org.imageless.nix.NixException.Kind;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The commands that create and change an environment's manifest. */
public final class EditCommands {

    private EditCommands() {
    }

    static String template(String system) {
        return """
                version = 1

                [install]

                [vars]

                [hook]

                [profile]

                [options]
                systems = ["%s"]
                """.formatted(system);
    }

    @Command(name = "init", description = "Create an environment in the current directory.")
    public static final class Init extends FloxCommand {
        @Option(names = {"-d", "--dir"}, paramLabel = "DIR", description = "Directory to create the environment in.")
        Path dir;

        @Option(names = {"-n", "--name"}, paramLabel = "NAME", description = "Name of the environment (default: the directory's name).")
        String name;

        @Override
        protected void run() throws IOException {
            Path target = session().resolve(dir == null ? Path.of(".") : dir);
            Files.createDirectories(target);
            String n = name != null ? name : target.getFileName() == null ? "default" : target.getFileName().toString();
            Environment env = Environment.init(session(), target, n, template(Session.system()));
            String manifest = env.manifestText();
            env.writeFiles(manifest, new Locker(session().hub()).lock(manifest, null, Set.of()));
            session().out().printf("✨ Created environment '%s' (%s)%n%nNext:%n  $ flox search <package>    <- Search for a package%n"
                    + "  $ flox install <package>   <- Install a package into an environment%n"
                    + "  $ flox activate            <- Enter the environment%n", n, Session.system());
        }
    }

    @Command(name = "install", aliases = "i", description = "Install packages into an environment.")
    public static final class Install extends FloxCommand {
        @Mixin
        EnvOptions envOptions = new EnvOptions();

        @Option(names = {"-i", "--id"}, paramLabel = "ID", description = "The install id of the (single) package.")
        String id;

        @Parameters(arity = "1..*", paramLabel = "PKG[@VERSION]", description = "Catalog packages as OWNER/NAME, optionally @VERSION (a semver range or =exact).")
        List<String> packages;

        @Override
        protected void run() {
            if (id != null && packages.size() != 1) {
                throw NixException.invalid("--id names the install id of one package; give one package with it");
            }
            Environment env = envOptions.select(session());
            String manifest = env.manifestText();
            List<String> added = new ArrayList<>();
            for (String spec : packages) {
                int at = spec.indexOf('@');
                String pkgPath = at < 0 ? spec : spec.substring(0, at);
                String version = at < 0 ? null : spec.substring(at + 1);
                if (pkgPath.isEmpty() || (version != null && version.isEmpty())) {
                    throw NixException.invalid("'%s' is not PKG or PKG@VERSION", spec);
                }
                String installId = id != null ? id : pkgPath.substring(pkgPath.lastIndexOf('/') + 1);
                if (Manifest.parse(manifest, "manifest.toml").install().containsKey(installId)) {
                    session().err().printf("⚠️  package with id '%s' is already installed to environment '%s'%n",
                            installId, env.description());
                    continue;
                }
                manifest = ManifestEditor.addInstall(manifest, "manifest.toml", installId, pkgPath, version);
                added.add(installId);
            }
            if (added.isEmpty()) {
                return;
            }
            Lockfile lock = new Locker(session().hub()).lock(manifest, env.lock(), Set.of());
            env.change(manifest, lock, HistoryEntry.Change.install(added));
            reportChange(env, added.stream().map(i -> "✅ '" + i + "' installed to environment '" + env.description() + "'")
                    .reduce((a, b) -> a + "\n" + b).orElse(""));
        }
    }

    @Command(name = "uninstall", aliases = "remove", description = "Uninstall installed packages from an environment.")
    public static final class Uninstall extends FloxCommand {
        @Mixin
        EnvOptions envOptions = new EnvOptions();

        @Parameters(arity = "1..*", paramLabel = "ID", description = "Install ids of the packages to remove.")
        List<String> ids;

        @Override
        protected void run() {
            Environment env = envOptions.select(session());
            String manifest = env.manifestText();
            for (String i : ids) {
                manifest = ManifestEditor.removeInstall(manifest, "manifest.toml", i);
            }
            Lockfile lock = new Locker(session().hub()).lock(manifest, env.lock(), Set.of());
            env.change(manifest, lock, HistoryEntry.Change.uninstall(ids));
            reportChange(env, ids.stream().map(i -> "🗑️  '" + i + "' uninstalled from environment '" + env.description() + "'")
                    .reduce((a, b) -> a + "\n" + b).orElse(""));
        }
    }

    @Command(name = "list", description = "List packages installed in an environment.")
    public static final class ListPackages extends FloxCommand {
        @Mixin
        EnvOptions envOptions = new EnvOptions();

        @ArgGroup(exclusive = true)
        Mode mode;

        static final class Mode {
            @Option(names = {"-c", "--config"}, description = "Show the manifest.") boolean config;
            @Option(names = {"-n", "--name"}, description = "Show only install ids.") boolean names;
        }

        @Override
        protected void run() {
            Environment env = envOptions.select(session());
            if (mode != null && mode.config) {
                session().out().print(env.manifestText());
                return;
            }
            Manifest manifest = env.manifest();
            Lockfile lock = env.lock();
            String system = Session.system();
            for (Map.Entry<String, InstallEntry> e : manifest.install().entrySet()) {
                if (mode != null && mode.names) {
                    session().out().println(e.getKey());
                    continue;
                }
                String pkgPath = e.getValue() instanceof InstallEntry.Catalog c ? c.pkgPath() : String.valueOf(e.getValue());
                String version = lock == null ? "not locked" : lock.packages(system).stream()
                        .filter(p -> p.installId().equals(e.getKey()))
                        .map(p -> p instanceof LockedPackage.Catalog c ? c.version() : "locked")
                        .findFirst().orElse("not available for " + system);
                session().out().printf("%s: %s (%s)%n", e.getKey(), pkgPath, version);
            }
        }
    }

    @Command(name = "edit", description = "Edit the manifest of an environment.")
    public static final class Edit extends FloxCommand {
        @Mixin
        EnvOptions envOptions = new EnvOptions();

        @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Replace the manifest with FILE ('-' for stdin).")
        String file;

        @Override
        protected void run() throws Exception {
            Environment env = envOptions.select(session());
            String before = env.manifestText();
            String after;
            String shown;
            if (file != null) {
                shown = file;
                after = file.equals("-") ? new String(System.in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                        : Files.readString(session().resolve(Path.of(file)));
            } else {
                Path tmp = Files.createTempFile("flox-manifest-", ".toml");
                shown = tmp.toString();
                Files.writeString(tmp, before);
                String editor = session().env().getOrDefault("VISUAL", session().env().getOrDefault("EDITOR", "vi"));
                int rc = new ProcessBuilder("sh", "-c", editor + " \"$1\"", "sh", tmp.toString()).inheritIO().start().waitFor();
                if (rc != 0) {
                    throw new NixException(Kind.IO, "the editor '" + editor + "' exited with " + rc + "; the manifest is unchanged");
                }
                after = Files.readString(tmp);
                Files.deleteIfExists(tmp);
            }
            if (after.equals(before)) {
                session().err().println("ℹ️  no changes made to environment '" + env.description() + "'");
                return;
            }
            Manifest.parse(after, shown);
            Lockfile lock = new Locker(session().hub()).lock(after, env.lock(), Set.of());
            env.change(after, lock, HistoryEntry.Change.edit());
            reportChange(env, "✅ environment '" + env.description() + "' successfully edited");
        }
    }

    @Command(name = "upgrade", description = "Upgrade packages in an environment to the newest versions their constraints allow.")
    public static final class Upgrade extends FloxCommand {
        @Mixin
        EnvOptions envOptions = new EnvOptions();

        @Parameters(arity = "0..*", paramLabel = "ID", description = "Install ids to upgrade (default: all).")
        List<String> ids = new ArrayList<>();

        @Override
        protected void run() {
            Environment env = envOptions.select(session());
            String manifest = env.manifestText();
            Manifest m = Manifest.parse(manifest, "manifest.toml");
            for (String i : ids) {
                if (!m.install().containsKey(i)) {
                    throw new NixException(Kind.NOT_FOUND, "'" + i + "' is not installed in environment '" + env.description()
                            + "': installed are " + m.install().keySet());
                }
            }
            Lockfile before = env.lock();
            Lockfile after = new Locker(session().hub()).lock(manifest, before, ids.isEmpty() ? null : new LinkedHashSet<>(ids));
            Map<String, String> was = versions(before, true);
            Map<String, String> now = versions(after, true);
            List<String> changed = now.keySet().stream().filter(k -> !Objects.equals(was.get(k), now.get(k))).toList();
            Map<String, String> wasShown = versions(before, false);
            Map<String, String> nowShown = versions(after, false);
            if (changed.isEmpty()) {
                session().out().println("ℹ️  no upgrades available for packages in environment '" + env.description() + "'");
                return;
            }
            env.change(manifest, after, new HistoryEntry.Change(HistoryEntry.Kind.UPGRADE, changed, null));
            StringBuilder b = new StringBuilder("⬆️  upgraded in environment '" + env.description() + "':");
            for (String c : changed) {
                b.append("\n  ").append(c).append(": ").append(wasShown.getOrDefault(c, "-")).append(" -> ").append(nowShown.get(c));
            }
            reportChange(env, b.toString());
        }

        /** Install id → version (with {@code outputs}: and store paths, so a rebuilt version counts as a change). */
        private static Map<String, String> versions(Lockfile lock, boolean outputs) {
            Map<String, String> v = new TreeMap<>();
            if (lock != null) {
                for (LockedPackage p : lock.packages(Session.system())) {
                    String version = p instanceof LockedPackage.Catalog c ? c.version() + (outputs ? " " + c.outputs() : "")
                            : p.toString();
                    v.merge(p.installId(), version, (a, b) -> a + "," + b);
                }
            }
            return v;
        }
    }
}
