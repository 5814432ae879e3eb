package org.imageless.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.imageless.cli.HubClient;
import org.imageless.cli.Session;
import org.imageless.cli.activate.Activation;
import org.imageless.cli.env.Environment;
import org.imageless.environment.activation.ActivationMode;
import org.imageless.environment.activation.ActivationPlan;
import org.imageless.environment.lock.Lockfile;
import org.imageless.environment.manifest.Manifest;
import org.imageless.nix.NixException;
import org.imageless.nix.NixException.Kind;
import org.imageless.nix.cache.BinaryCacheUploader;
import org.imageless.nix.cache.ProgressBar;
import org.imageless.nix.nodestore.NodeStore;
import org.imageless.nix.store.StorePath;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code flox publish [-o OWNER] [PACKAGE]}: builds a {@code [build.<name>]} package of the
 * environment (its {@code command} runs in bash, in the activated environment, with {@code $out}
 * a fresh directory), adds {@code $out} to the user's store as {@code <name>-<version>} with the
 * references found in it (hashes of the environment's closure), uploads that closure to the hub's binary cache and publishes the version
 * in the catalog as {@code OWNER/<name>}.
 */
@Command(name = "publish", description = "Build a package of the manifest's [build] section and publish it to the FloxHub catalog.")
public final class PublishCommand extends FloxCommand {

    @Mixin
    EnvOptions envOptions = new EnvOptions();

    @Option(names = {"-o", "--org"}, paramLabel = "OWNER", description = "Publish under OWNER (default: the environment's owner, else you).")
    String owner;

    @Parameters(arity = "0..1", paramLabel = "PACKAGE", description = "The [build.<name>] to publish (needed when there are several).")
    String packageName;

    @Override
    protected void run() throws Exception {
        Session s = session();
        String token = s.hub().requireToken();
        Environment env = envOptions.select(s);
        Manifest manifest = env.manifest();
        String name = pick(manifest);
        JsonNode build = manifest.build().get(name);
        String command = text(build, "command", name);
        String version = text(build, "version", name);
        String description = build.path("description").asText(null);
        String license = build.path("license").isTextual() ? build.path("license").asText() : null;
        String to = owner != null ? owner : env.owner() != null ? env.owner() : s.hubUser();
        String system = Session.system();

        NodeStore store = Activation.store(s);
        Lockfile lock = env.lock();
        Map<String, String> childEnv = new LinkedHashMap<>(s.env());
        java.util.Set<StorePath> closure = java.util.Set.of();
        if (lock != null && !lock.packages(system).isEmpty()) {
            Activation.realise(s, store, lock, system);
            StorePath view = Activation.view(s, store, lock, system);
            closure = store.closure(lock.storePathsToInstall(system));
            ActivationPlan plan = ActivationPlan.compute(new ActivationPlan.Request(ActivationMode.DEV, view.toString(),
                    env.description(), manifest.vars(), null, null, null, s.env()));
            childEnv.putAll(plan.environment());
        }
        Path work = Files.createTempDirectory(store.dir().getParent(), ".flox-build-");
        Path out = work.resolve("out");
        childEnv.put("out", out.toString());
        Path cwd = env.projectDir() != null ? env.projectDir() : work;
        s.err().printf("🔨 building %s-%s%n", name, version);
        int rc = Activation.run(s, Activation.sandboxed(store, cwd, List.of("bash", "-e", "-c", command)), childEnv, cwd);
        try {
            if (rc != 0) {
                throw NixException.invalid("the build command of [build.%s] failed with exit code %d (its output is above)", name, rc);
            }
            if (!Files.exists(out, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw NixException.invalid("the build command of [build.%s] did not create $out: it must write the package to $out, "
                        + "e.g. 'mkdir -p $out/bin && cp hello $out/bin/'", name);
            }
            StorePath path = store.add(out, name + "-" + version, references(out, closure));
            s.err().printf("📦 %s%n", path);

            BinaryCacheUploader.UploadResult up;
            try (ProgressBar progress = ProgressBar.onTerminal("flox");
                 BinaryCacheUploader uploader = BinaryCacheUploader.builder(URI.create(s.config().hubUrl() + "/cache"))
                         .token(token).listener(progress).tmpDir(work).build()) {
                up = uploader.upload(store, List.of(path));
            }
            s.err().printf("⬆️  uploaded %d of %d paths of the closure to %s/cache%n", up.uploaded().size(),
                    up.closure().size(), s.config().hubUrl());

            ObjectNode body = HubClient.object();
            body.put("version", version);
            if (description != null) {
                body.put("description", description);
            }
            if (license != null) {
                body.put("license", license);
            }
            body.putObject("systems").putObject(system).putObject("outputs").put("out", path.toString());
            s.hub().send("POST", "/api/v1/catalog/" + HubClient.encode(to) + "/packages/" + HubClient.encode(name)
                    + "/versions", body, true);
            s.out().printf("✅ published %s/%s@%s (%s)%n", to, name, version, path);
        } finally {
            deleteTree(work);
        }
    }

    /** The paths of the environment's closure whose hash occurs in {@code out}: what the package refers to. */
    static java.util.Set<StorePath> references(Path out, java.util.Set<StorePath> closure) throws java.io.IOException {
        Map<String, StorePath> byHash = new java.util.HashMap<>();
        closure.forEach(p -> byHash.put(p.hashPart(), p));
        org.imageless.nix.refs.ReferenceScanner scanner = new org.imageless.nix.refs.ReferenceScanner(byHash.keySet());
        try (scanner) {
            org.imageless.nix.nar.NarWriter.dump(out, scanner);
        }
        java.util.Set<StorePath> refs = new java.util.TreeSet<>();
        scanner.found().forEach(h -> refs.add(byHash.get(h)));
        return refs;
    }

    private String pick(Manifest manifest) {
        JsonNode builds = manifest.build();
        List<String> names = new ArrayList<>();
        if (builds != null) {
            for (Iterator<String> it = builds.fieldNames(); it.hasNext(); ) {
                names.add(it.next());
            }
        }
        if (packageName != null) {
            if (!names.contains(packageName)) {
                throw new NixException(Kind.NOT_FOUND, "the manifest has no [build." + packageName + "]: it has "
                        + (names.isEmpty() ? "no [build] section" : names));
            }
            return packageName;
        }
        if (names.isEmpty()) {
            throw NixException.invalid("the manifest has no [build] section: add [build.<name>] with command (writing to $out) "
                    + "and version, see 'flox edit'");
        }
        if (names.size() > 1) {
            throw NixException.invalid("the manifest builds %s: name the one to publish ('flox publish NAME')", names);
        }
        return names.getFirst();
    }

    private static String text(JsonNode build, String key, String name) {
        JsonNode v = build.get(key);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw NixException.invalid("manifest.toml: [build.%s] needs %s = \"…\"%s", name, key,
                    key.equals("version") ? " (the version to publish, e.g. \"1.0.0\")" : " (bash that writes the package to $out)");
        }
        return v.asText();
    }

    private static void deleteTree(Path p) {
        try (var walk = Files.walk(p)) {
            for (Path x : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                x.toFile().setWritable(true);
                Files.deleteIfExists(x);
            }
        } catch (java.io.IOException ignored) {
            // a leftover build directory is harmless
        }
    }
}
