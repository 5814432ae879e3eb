package org.imageless.cli.commands;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.imageless.cli.Session;
import org.imageless.cli.activate.Activation;
import org.imageless.cli.env.Environment;
import org.imageless.environment.activation.ActivationMode;
import org.imageless.environment.activation.ActivationPlan;
import org.imageless.environment.lock.Lockfile;
import org.imageless.environment.manifest.Manifest;
import org.imageless.nix.NixException;
import org.imageless.nix.NixException.Kind;
import org.imageless.nix.nodestore.NodeStore;
import org.imageless.nix.store.StorePath;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code flox activate [-m run|dev] [-g N] [-- CMD ARGS…]}: realises the environment's packages from
 * the hub, builds its view, and runs {@code CMD} (or an interactive bash) in the activated
 * environment with the store at {@code /nix/store}. {@code hook.on-activate} runs first, in bash,
 * with its standard output sent to standard error; with {@code -- CMD} no profile scripts run.
 * The exit code is the command's.
 */
@Command(name = "activate", description = "Run a command, or a shell, in an environment.")
public final class ActivateCommand extends FloxCommand {

    @Mixin
    EnvOptions envOptions = new EnvOptions();

    @Option(names = {"-m", "--mode"}, paramLabel = "run|dev", description = "run: only PATH and the like; dev (default): "
            + "also the development variables (CPATH, LIBRARY_PATH, PKG_CONFIG_PATH, …).")
    String mode;

    @Option(names = {"-g", "--generation"}, paramLabel = "N", description = "Activate generation N instead of the live one.")
    Integer generation;

    @Parameters(arity = "0..*", paramLabel = "CMD", description = "The command to run (after --).")
    List<String> command = new ArrayList<>();

    private int exitCode;

    @Override
    public Integer call() throws Exception {
        run();
        return exitCode;
    }

    @Override
    protected void run() throws Exception {
        Session s = session();
        Environment env = envOptions.select(s);
        String manifestText;
        Lockfile lock;
        if (generation != null) {
            Environment.GenerationFiles g = env.generation(generation);
            manifestText = g.manifest();
            lock = g.lock();
        } else {
            manifestText = env.manifestText();
            lock = env.lock();
        }
        if (lock == null) {
            throw new NixException(Kind.NOT_FOUND, "environment " + env.description() + " is not locked: install a "
                    + "package with 'flox install" + env.flag() + " PKG' first");
        }
        Manifest manifest = Manifest.parse(manifestText, "manifest.toml");
        ActivationMode m = ActivationMode.parse(mode != null ? mode
                : manifest.options().activateMode() != null ? manifest.options().activateMode() : "dev");
        String system = Session.system();
        NodeStore store = Activation.store(s);
        Activation.realise(s, store, lock, system);
        StorePath view = Activation.view(s, store, lock, system);

        Path project = env.projectDir();
        ActivationPlan plan = ActivationPlan.compute(new ActivationPlan.Request(m, view.toString(), env.description(),
                manifest.vars(), manifest.hook().onActivate(), project == null ? null : project.toString(),
                env.dotFlox() == null ? null : env.dotFlox().resolve("cache").toString(), s.env()));
        Map<String, String> childEnv = new LinkedHashMap<>(s.env());
        childEnv.putAll(plan.environment());
        childEnv.put("FLOX_ENV_ACTIVATED_MODE", m.text());

        String bash = Files.isExecutable(store.realPath(view).resolve("bin/bash")) ? view + "/bin/bash" : "bash";
        List<String> argv = new ArrayList<>();
        if (command.isEmpty()) {
            argv.addAll(interactive(bash, manifest, env));
            if (plan.runsHook()) {
                childEnv.put("_FLOX_HOOK_ON_ACTIVATE", manifest.hook().onActivate());
            }
        } else if (plan.runsHook()) {
            childEnv.put("_FLOX_HOOK_ON_ACTIVATE", manifest.hook().onActivate());
            argv.addAll(List.of(bash, "--noprofile", "--norc", "-c",
                    "{ eval \"$_FLOX_HOOK_ON_ACTIVATE\"; } >&2; unset _FLOX_HOOK_ON_ACTIVATE; exec \"$@\"", "flox-activate"));
            argv.addAll(command);
        } else {
            argv.addAll(command);
        }
        exitCode = Activation.run(s, Activation.sandboxed(store, s.cwd(), argv), childEnv, s.cwd());
    }

    /** An interactive bash that runs the hook (stdout to stderr), then sources profile.common and profile.bash. */
    private List<String> interactive(String bash, Manifest manifest, Environment env) throws java.io.IOException {
        Path rc = Files.createTempFile("flox-activate-", ".bashrc");
        rc.toFile().deleteOnExit();
        StringBuilder b = new StringBuilder();
        b.append("[ -f ~/.bashrc ] && . ~/.bashrc\n");
        b.append("if [ -n \"${_FLOX_HOOK_ON_ACTIVATE:-}\" ]; then { eval \"$_FLOX_HOOK_ON_ACTIVATE\"; } >&2; fi\n");
        b.append("unset _FLOX_HOOK_ON_ACTIVATE\n");
        if (manifest.profile().common() != null) {
            b.append(manifest.profile().common()).append('\n');
        }
        if (manifest.profile().bash() != null) {
            b.append(manifest.profile().bash()).append('\n');
        }
        b.append("PS1=\"flox [").append(env.description().replace("\"", "")).append("] ${PS1:-\\\\$ }\"\n");
        b.append("rm -f '").append(rc).append("'\n");
        Files.writeString(rc, b.toString());
        session().err().println("✅ You are now using the environment '" + env.description() + "'. Type 'exit' to leave it.");
        return List.of(bash, "--rcfile", rc.toString(), "-i");
    }
}
