package org.imageless.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.imageless.environment.EnvironmentRef;
import org.imageless.environment.activation.ActivationPlan;
import org.imageless.environment.lock.LockedPackage;
import org.imageless.environment.lock.Lockfile;
import org.imageless.environment.view.EnvironmentView;
import org.imageless.nix.NixException;
import org.imageless.nix.cache.BinaryCacheClient;
import org.imageless.nix.nodestore.NodeStore;
import org.imageless.nix.sign.TrustedKeys;
import org.imageless.nix.store.StorePath;
import org.imageless.runtime.annotation.ContainerRole;
import org.imageless.runtime.annotation.PodAnnotations;
import org.imageless.runtime.config.NodeConfig;
import org.imageless.runtime.edit.MountClosure;
import org.imageless.runtime.edit.OverlayForMutable;
import org.imageless.runtime.edit.ProcessEdit;
import org.imageless.runtime.edit.ResolveCommand;
import org.imageless.runtime.edit.SetEnvironment;
import org.imageless.runtime.edit.SpecEdit;
import org.imageless.runtime.edit.WrapForHook;
import org.imageless.runtime.hub.DeferredReports;
import org.imageless.runtime.hub.HubClient;
import org.imageless.runtime.hub.Resolver;
import org.imageless.runtime.spec.Mount;
import org.imageless.runtime.spec.Spec;

/**
 * {@code runc create}: resolve the pod's environment, realise its closure into the node store,
 * build the view, and rewrite the bundle's {@code config.json} — in that order, each step failing
 * with a message that names the cause and the fix.
 */
public final class Create {

    /** Where Kubernetes secrets for the runtime are mounted in the container. */
    public static final String SECRET_DIR = "/var/run/secrets/flox.dev";
    public static final String TOKEN_FILE = "floxhub-token";
    static final Duration HUB_TIMEOUT = Duration.ofSeconds(10);
    /** How long create waits, at its end, for an activation report still on its way. */
    static final Duration REPORT_GRACE = Duration.ofMillis(100);
    private static final ObjectMapper JSON = org.imageless.runtime.Json.MAPPER;

    private final NodeConfig config;
    private final RuntimeLog log;
    private final boolean timings;
    private final boolean resident;

    public Create(NodeConfig config, RuntimeLog log) {
        this(config, log, System.getenv("FLOX_RUNTIME_TIMINGS") != null, false);
    }

    /**
     * With {@code timings}, an info line with the phase timings goes to the log (FLOX_RUNTIME_TIMINGS of
     * the caller). {@code resident}: this runs in the daemon, which outlives the call, so the activation
     * report is sent after the start ({@link DeferredReports}); a JVM of its own sends it at once and gives
     * it {@link #REPORT_GRACE} before exiting.
     */
    public Create(NodeConfig config, RuntimeLog log, boolean timings, boolean resident) {
        this.config = config;
        this.log = log;
        this.timings = timings;
        this.resident = resident;
    }

    /** What create did, for tests and timing. */
    public record Result(Optional<String> passThrough, String environment, StorePath view, Set<StorePath> closure,
                         Set<StorePath> fetched) {}

    public Result run(Path bundle, String id) throws IOException {
        if (resident) {
            // the creates that come next in this bundle's directory are planned as soon as containerd writes them
            CreatesAhead.learn(bundle, (b, text) -> ahead(config, b, text));
            Optional<Ahead> ahead = CreatesAhead.take(bundle);
            if (ahead.isPresent()) {
                return commit(ahead.get(), bundle, id);
            }
        }
        long t0 = System.nanoTime();
        StringBuilder timings = new StringBuilder();
        Planned planned = plan(Spec.load(bundle), bundle, id, false, timings, t0);
        return planned.result().passThrough().isPresent() ? planned.result() : write(planned, bundle, id, timings, t0);
    }

    /**
     * A create worked out, not written yet: the edited spec ({@code config}, JSON), the activation record
     * (null: exec processes are left alone), the activation report (null: none is sent) and, in a JVM of its own,
     * the thread that sends it already. {@code pod}: what its pod's sandbox prepared, if it used that.
     */
    private record Planned(Result result, String config, String activation, HubClient hub,
                           java.util.function.Supplier<String> event, Thread report, PodPreparations.Taken pod) {
        static Planned passThrough(String why) {
            return new Planned(new Result(Optional.of(why), null, null, Set.of(), Set.of()), null, null, null, null, null, null);
        }
    }

    /**
     * A create planned before runc was asked for it ({@link CreatesAhead}): what it logged meanwhile, the phase
     * timings, when it was ready ({@link System#nanoTime()}), and whether it was written already
     * ({@link #writeAhead}).
     */
    record Ahead(NodeConfig config, Planned planned, RuntimeLog.Held log, String timings, long ready, boolean written) {

        /**
         * Whether it may be written before its create is asked for: its pod's sandbox was created through this
         * daemon, so that the container runs through the launcher too (the pod's runtime handler is the
         * container's), and nothing was logged that the create's {@code --log} must show.
         */
        boolean writable() {
            return planned.pod() != null && planned.pod().launched() && log.isEmpty();
        }

        /**
         * Writes it now, as the create would, in the bundle's directory whose name is the container's ID (as
         * containerd names it): the spec, also linked as {@link #PREPARED} (the launcher finds the two are one file,
         * and runs runc without asking the daemon), and the activation record; the timings line goes to the
         * bundle's {@code log.json} (the shim's {@code --log}) if the sandbox's create asked for timings. The
         * report waits until runc has created the container ({@link #created}).
         */
        Ahead writeAhead(Path bundle) throws IOException {
            long t0 = System.nanoTime();
            String id = bundle.getFileName().toString();
            if (planned.activation() != null) {
                Activation.write(config.containerDir(id), planned.activation());
            }
            Spec.writeAtomically(bundle.resolve("config.json"), planned.config(), bundle.resolve(PREPARED));
            if (planned.pod().timings()) {
                new RuntimeLog(bundle.resolve("log.json")).info("create " + id + " timings (ms since create began):"
                        + " planned ahead (" + timings.strip() + ") and written (in "
                        + (System.nanoTime() - t0) / 100_000 / 10.0 + " ms) before its create");
            }
            return new Ahead(config, planned, log, timings, ready, true);
        }

        /** runc created the container that was written ahead: its activation is reported. */
        void created() {
            if (planned.event() != null) {
                DeferredReports.submit(planned.hub(), planned.event());
            }
        }

        /** The bundle written ahead is gone: so is its activation record (its create never came, or is over). */
        void forget(Path bundle) {
            try {
                org.imageless.nix.nar.NarUnpacker.deleteTree(config.containerDir(bundle.getFileName().toString()));
            } catch (IOException | RuntimeException e) {
                // the launcher's delete removes it too
            }
        }
    }

    /**
     * A bundle's spec once written before its create ({@link Ahead#writeAhead}): the same file as its
     * config.json (a hard link), unless something replaced that since.
     */
    public static final String PREPARED = "flox-prepared.json";

    /**
     * Resident mode: plans the create of {@code bundle}, whose config.json holds {@code text}, while containerd
     * still sets its task up; empty when it is not one that can be planned ahead, or anything fails (its create
     * then does it all, and says what failed). Only a container whose pod's sandbox prepared its environment is
     * planned, unless nix-mutable, so that nothing is done outside the daemon until the create commits it; a
     * sandbox starts its pod's preparation. The image is not mounted yet: a command that resolves only in it
     * is left to the create.
     */
    static Optional<Ahead> ahead(NodeConfig config, Path bundle, String text) {
        long t0 = System.nanoTime();
        StringBuilder timings = new StringBuilder();
        RuntimeLog.Held held = new RuntimeLog.Held();
        try {
            Planned planned = new Create(config, held, true, true)
                    .plan(Spec.parse(text), bundle, bundle.getFileName().toString(), true, timings, t0);
            return planned == null || planned.result().passThrough().isPresent() ? Optional.empty()
                    : Optional.of(new Ahead(config, planned, held, timings.toString(), System.nanoTime(), false));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Writes what was planned ahead for {@code bundle}, with what was logged meanwhile, as container {@code id}. */
    private Result commit(Ahead ahead, Path bundle, String id) throws IOException {
        long t0 = System.nanoTime();
        if (ahead.written()) {
            // the launcher asked although it was written ahead (it came while it was being written)
            if (!id.equals(bundle.getFileName().toString()) && ahead.planned().activation() != null) {
                Activation.write(config.containerDir(id), ahead.planned().activation());
            }
            if (this.timings) {
                log.info("create " + id + " timings (ms since create began): planned ahead (" + ahead.timings().strip()
                        + ") and written before its create");
            }
            return ahead.planned().result();
        }
        ahead.log().replayTo(log);
        StringBuilder timings = new StringBuilder(" planned ahead (").append(ahead.timings().strip()).append(") and ready ")
                .append((t0 - ahead.ready()) / 100_000 / 10.0).append(" ms before; then");
        return write(ahead.planned(), bundle, id, timings, t0);
    }

    /**
     * Works the create out: the container's role, its environment (from its pod's sandbox, or resolved and
     * realised now), its activation and the edits of its spec. {@code ahead}: planned before runc create
     * ({@link #ahead}): null when it cannot be.
     */
    private Planned plan(Spec spec, Path bundle, String id, boolean ahead, StringBuilder timings, long t0) throws IOException {
        ContainerRole role = ContainerRole.forCreate(spec.annotations());
        if (role instanceof ContainerRole.PassThrough p) {
            if (resident && ContainerRole.isSandbox(spec.annotations())) {
                beginForPod(spec, id);
                if (!ahead) {
                    PodPreparations.launched(id, this.timings);
                }
            }
            return Planned.passThrough(p.why());
        }
        ContainerRole.Activate activate = (ContainerRole.Activate) role;
        PodAnnotations annotations = activate.annotations();
        EnvironmentRef ref = annotations.environment().orElseThrow();
        Optional<String> token = token(spec);
        lap(timings, "spec", t0);
        if (ahead && annotations.nixMutable()) {
            return null;
        }
        PodPreparations.Taken taken = resident ? fromPod(spec, activate.containerName(), ref, token, t0) : null;
        PodPreparations.Ready pod = taken == null ? null : taken.ready();
        Prepared prepared;
        if (pod != null) {
            prepared = pod.prepared();
            lap(timings, "pod", t0);
        } else if (ahead) {
            return null;
        } else {
            prepared = prepare(ref, token, id, null, timings, t0);
        }
        Resolver.Resolved resolved = prepared.resolved();
        StorePath view = prepared.view();
        Set<StorePath> closure = prepared.closure();
        NodeStore store = prepared.store();
        HubClient hub = null;
        java.util.function.Supplier<String> event = null;
        Thread report = null;
        if (!annotations.disableMetrics() && resolved.offlineNote().isEmpty()) {
            hub = new HubClient(config.hubUrl(), token, HUB_TIMEOUT);
            // the report's JSON is made off the start's path: by the daemon's sender, or on the report's thread
            event = event(spec, resolved, activate.containerName(), annotations);
            if (!resident) {
                // a JVM of its own sends it at once, while it works on
                HubClient client = hub;
                java.util.function.Supplier<String> json = event;
                report = Thread.ofVirtual().start(() -> {
                    try {
                        client.report(json.get());
                    } catch (RuntimeException ignored) {
                        // reports are best effort and never delay or fail a start
                    }
                });
            }
        }

        Activation activation = activation(spec, bundle, store, resolved, view, annotations);
        lap(timings, "activation", t0);
        List<SpecEdit> edits = new ArrayList<>();
        if (annotations.nixMutable()) {
            Path dir = config.mutableDir(id);
            edits.add(new OverlayForMutable(dir, store.dir(), prepareMutable(dir, store, closure,
                    spec.process().uid(), spec.process().gid())));
        } else {
            // the pod's mount points serve all of its containers (each binds them read-only)
            Path points = pod != null && pod.mountPoints().isPresent() ? pod.mountPoints().get()
                    : prepareMountPoints(config.containerDir(id).resolve("store"), store, closure);
            edits.add(new MountClosure(points, store.dir(), new TreeSet<>(closure)));
        }
        lap(timings, "mounts", t0);
        for (ProcessEdit e : processEdits(activation, !ahead)) {
            edits.add(e.onSpec());
        }
        try {
            SpecEdit.all(edits).apply(spec);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("container '" + activate.containerName() + "' with " + resolved.shown()
                    + ": " + e.getMessage(), e);
        }
        String activationJson = annotations.skipContainersExec().contains(activate.containerName()) ? null : activation.toJson();
        Planned planned = new Planned(new Result(Optional.empty(), resolved.shown(), view, closure, prepared.fetched()),
                spec.toJson(), activationJson, hub, event, report, taken);
        lap(timings, "edits", t0);
        return planned;
    }

    /** Writes the planned spec and activation record, and sends the report (the daemon: once the start is done). */
    private Result write(Planned planned, Path bundle, String id, StringBuilder timings, long t0) throws IOException {
        Spec.writeAtomically(bundle.resolve("config.json"), planned.config());
        lap(timings, "written", t0);
        if (planned.activation() != null) {
            Activation.write(config.containerDir(id), planned.activation());
        }
        lap(timings, "record", t0);
        if (planned.event() != null && resident) {
            DeferredReports.submit(planned.hub(), planned.event()); // the daemon lives on: sent once the start is done
        }
        if (planned.report() != null) {
            try {
                if (!planned.report().join(REPORT_GRACE)) {
                    log.warning("the activation report of " + planned.result().environment() + " to " + config.hubUrl()
                            + " was not delivered within " + REPORT_GRACE.toMillis() + " ms and is dropped (the container starts anyway)");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (this.timings) {
            log.info("create " + id + " timings (ms since create began):" + timings);
        }
        return planned.result();
    }

    /** An environment ready on this node: resolved, its closure realised, its view built. */
    public record Prepared(Resolver.Resolved resolved, NodeStore store, StorePath view, Set<StorePath> closure,
                           Set<StorePath> fetched) {}

    /**
     * Resolves {@code ref}, realises its installed outputs' closure into the node store and builds
     * its view. With a {@code containerId}, what it uses is recorded as that container's gc root
     * before anything is fetched (under the shared gc lock, so a collection cannot remove it meanwhile).
     */
    public Prepared prepare(EnvironmentRef ref, Optional<String> token, String containerId,
                            org.imageless.nix.cache.TransferListener listener) {
        return prepare(ref, token, containerId, listener, new StringBuilder(), System.nanoTime());
    }

    private Prepared prepare(EnvironmentRef ref, Optional<String> token, String containerId,
                             org.imageless.nix.cache.TransferListener listener, StringBuilder timings, long t0) {
        HubClient hub = new HubClient(config.hubUrl(), token, HUB_TIMEOUT);
        GcRoots roots = new GcRoots(config.stateDir());
        NodeStore store = NodeStore.open(config.storeDir(), config.tmpDir());
        try (GcRoots.Held held = roots.shared()) {
            lap(timings, "store", t0);
            // While the hub answers, what the node resolved last time is prepared (when it is all on the
            // node): the answer is usually the same, and then the start does not wait twice.
            Resolver.Pending pending = new Resolver(hub, config.resolvedDir()).begin(ref);
            Prepared guess = pending.recorded().map(r -> guess(store, roots, r, containerId)).orElse(null);
            if (guess != null) {
                lap(timings, "guess", t0);
            }
            Resolver.Resolved resolved = pending.await();
            lap(timings, "resolve", t0);
            resolved.offlineNote().ifPresent(log::warning);
            hub.warnings().forEach(w -> log.warning("the hub says about " + ref + ": " + w));
            if (guess != null && pending.confirmsRecord()) {
                return new Prepared(resolved, store, guess.view(), guess.closure(), Set.of());
            }
            return prepareResolved(store, roots, resolved, token, containerId, listener, timings, t0);
        } catch (IOException e) {
            throw new NixException(NixException.Kind.IO, "preparing " + ref + ": " + e, e);
        }
    }

    /**
     * The pod's environment resolved and prepared in the background while its sandbox starts
     * ({@link PodPreparations}); the hub is asked with the node's token or none, as the sandbox has no
     * secret mounts. The closure is recorded as the sandbox's gc root (removed with the sandbox, which
     * outlives its containers) and, unless the pod is nix-mutable, its mount points are made once for
     * all of the pod's containers, under the sandbox's directory. Nothing is reported from here: a
     * container that cannot use it resolves itself.
     */
    private void beginForPod(Spec sandbox, String sandboxId) {
        Optional<EnvironmentRef> ref;
        Optional<String> token;
        boolean mutable;
        try {
            PodAnnotations annotations = PodAnnotations.parse(sandbox.annotations());
            ref = annotations.environment();
            mutable = annotations.nixMutable();
            token = token(sandbox);
        } catch (RuntimeException | IOException e) {
            return; // the containers' creates say what is wrong
        }
        if (ref.isEmpty()) {
            return;
        }
        PodPreparations.begin(sandboxId, ref.get(), token, work -> {
            HubClient hub = new HubClient(config.hubUrl(), token, HUB_TIMEOUT);
            Resolver.Resolved resolved = new Resolver(hub, config.resolvedDir()).resolve(ref.get());
            work.answered(resolved, hub.warnings());
            if (resolved.offlineNote().isPresent()) {
                return null;
            }
            GcRoots roots = new GcRoots(config.stateDir());
            NodeStore store = NodeStore.open(config.storeDir(), config.tmpDir());
            try (GcRoots.Held held = roots.shared()) {
                Prepared p = prepareResolved(store, roots, resolved, token, sandboxId, null, new StringBuilder(), System.nanoTime());
                Optional<Path> points = mutable ? Optional.empty()
                        : Optional.of(prepareMountPoints(config.containerDir(sandboxId).resolve("store"), store, p.closure()));
                return new PodPreparations.Ready(p, points);
            } catch (IOException e) {
                throw new NixException(NixException.Kind.IO, "preparing " + ref.get() + ": " + e, e);
            }
        });
    }

    /**
     * What this container's pod sandbox prepared ({@link PodPreparations#take}), with the hub's warnings
     * logged; null when the container must resolve itself. The closure is the sandbox's gc root already.
     */
    private PodPreparations.Taken fromPod(Spec spec, String containerName, EnvironmentRef ref, Optional<String> token, long began) {
        Optional<PodPreparations.Taken> taken = PodPreparations.take(spec.annotations().get(ContainerRole.SANDBOX_ID),
                containerName, ref, token, began);
        if (taken.isEmpty()) {
            return null;
        }
        taken.get().hubWarnings().forEach(w -> log.warning("the hub says about " + ref + ": " + w));
        return taken.get();
    }

    /** The rest of {@link #prepare}, once the hub answered: realise the installed outputs, build the view. */
    private Prepared prepareResolved(NodeStore store, GcRoots roots, Resolver.Resolved resolved, Optional<String> token,
                                     String containerId, org.imageless.nix.cache.TransferListener listener,
                                     StringBuilder timings, long t0) throws IOException {
        Lockfile lock = resolved.lock();
        String system = config.system();
        if (lock.packages(system).isEmpty() && !lock.packages().isEmpty()) {
            Set<String> systems = new TreeSet<>();
            lock.packages().forEach(p -> systems.add(p.system()));
            throw NixException.invalid("environment %s has no packages for this node's system %s (it has packages for %s): "
                            + "add \"%s\" to options.systems in its manifest, lock it again and push, or run the pod on a %s node",
                    resolved.shown(), system, String.join(", ", systems), system, String.join(" or ", systems));
        }
        SortedSet<StorePath> toInstall = new TreeSet<>(lock.storePathsToInstall(system));
        if (containerId != null) {
            roots.write(containerId, toInstall);
        }
        NodeStore.RealiseResult realised = realise(store, toInstall, token, resolved, listener);
        lap(timings, "realise", t0);
        Prepared prepared = viewAndClosure(store, roots, resolved, containerId, realised.fetched());
        lap(timings, "view", t0);
        return prepared;
    }

    /**
     * {@code recorded} prepared from what is on the node already, without fetching anything: its view
     * and closure, recorded as the container's root. Null when something is missing or anything fails:
     * then the hub's answer is prepared the usual way, and its errors are the ones reported.
     */
    private Prepared guess(NodeStore store, GcRoots roots, Resolver.Resolved recorded, String containerId) {
        try {
            Lockfile lock = recorded.lock();
            String system = config.system();
            Set<StorePath> toInstall = lock.storePathsToInstall(system);
            if (lock.packages(system).isEmpty() || !toInstall.stream().allMatch(store::isValid)) {
                return null;
            }
            Prepared prepared = viewAndClosure(store, roots, recorded, containerId, Set.of());
            return prepared.closure().containsAll(toInstall) ? prepared : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The view of {@code resolved}'s installed packages (on the node already) and its closure, recorded as
     * the container's gc root.
     */
    private Prepared viewAndClosure(NodeStore store, GcRoots roots, Resolver.Resolved resolved, String containerId,
                                    Set<StorePath> fetched) throws IOException {
        StorePath view = view(store, resolved.lock(), config.system());
        Set<StorePath> closure = store.closure(List.of(view));
        if (containerId != null) {
            roots.write(containerId, closure);
        }
        return new Prepared(resolved, store, view, closure, fetched);
    }

    private static void lap(StringBuilder timings, String what, long t0) {
        timings.append(' ').append(what).append('=').append((System.nanoTime() - t0) / 100_000 / 10.0);
    }

    /**
     * The view of {@code lock}: built once per node and set of inputs, then found again through
     * {@code state_dir/views/<key>} (the key is a hash of the installed outputs and priorities, the
     * view's only inputs) as long as the path is valid in the store.
     */
    private StorePath view(NodeStore store, Lockfile lock, String system) throws IOException {
        return EnvironmentView.buildRemembered(store, lock, system, config.stateDir().resolve("views"));
    }

    /** The edits of the process, the same for the main process (create) and exec processes. */
    static List<ProcessEdit> processEdits(Activation a) {
        return processEdits(a, true);
    }

    /** {@link #processEdits(Activation)}; {@code imageMounted} false: a create planned ahead ({@link ResolveCommand}). */
    private static List<ProcessEdit> processEdits(Activation a, boolean imageMounted) {
        Path storeDir = Path.of(a.storeDir());
        List<ProcessEdit> edits = new ArrayList<>();
        edits.add(new SetEnvironment(a.variables()));
        edits.add(new ResolveCommand(storeDir, imageMounted ? Path.of(a.rootfs()) : null, a.environment(), a.commands()));
        if (a.hook() != null) {
            edits.add(new WrapForHook(a.bash(), a.hook()));
        }
        return edits;
    }

    private Activation activation(Spec spec, Path bundle, NodeStore store, Resolver.Resolved resolved, StorePath view,
                                  PodAnnotations pod) throws IOException {
        Lockfile lock = resolved.lock();
        String hook = lock.manifest().hook().onActivate();
        ActivationPlan plan = ActivationPlan.compute(new ActivationPlan.Request(pod.activateMode(), view.toString(),
                resolved.ref().description(), lock.manifest().vars(), hook, null, null, spec.process().env()));
        SequencedMap<String, String> variables = new LinkedHashMap<>(plan.environment());
        if (pod.disableMetrics()) {
            variables.put("FLOX_DISABLE_METRICS", "true");
        }
        String bash = null;
        if (plan.runsHook()) {
            Path hostBash = EnvironmentView.resolve(store.realPath(view).resolve("bin/bash"), store.dir());
            if (!Files.isRegularFile(hostBash) || !Files.isExecutable(hostBash)) {
                throw NixException.invalid("environment %s has a hook.on-activate, which runs in bash, but none of its packages "
                        + "provides bin/bash: install bash into the environment (flox install -r %s bash) and push, "
                        + "or remove the hook", resolved.shown(), resolved.ref().description());
            }
            bash = view + "/bin/bash";
        }
        Path rootfs = Path.of(spec.rootPath());
        rootfs = rootfs.isAbsolute() ? rootfs : bundle.toAbsolutePath().resolve(rootfs);
        List<EnvironmentView.Input> inputs = EnvironmentView.inputs(lock, config.system());
        Map<String, List<String>> commands = COMMANDS.get(inputs);
        if (commands == null) {
            commands = COMMANDS.put(inputs, commands(store, inputs));
        }
        return new Activation(resolved.shown(), variables, store.dir().toString(), rootfs.toString(), bash, plan.runsHook() ? hook : null,
                commands);
    }

    /**
     * {@link #commands} by the installed packages, in this JVM: store paths never change, so the resident
     * daemon lists them once rather than at every start.
     */
    private static final org.imageless.nix.BoundedMemo<List<EnvironmentView.Input>, Map<String, List<String>>> COMMANDS =
            new org.imageless.nix.BoundedMemo<>(256);

    /** The bin/ entries of each installed package, for the command-not-found message. */
    private static Map<String, List<String>> commands(NodeStore store, List<EnvironmentView.Input> inputs) throws IOException {
        Map<String, List<String>> out = new TreeMap<>();
        for (EnvironmentView.Input in : inputs) {
            List<String> bins = out.computeIfAbsent(in.installId(), k -> new ArrayList<>());
            Path bin = EnvironmentView.resolve(store.realPath(in.path()).resolve("bin"), store.dir());
            if (Files.isDirectory(bin)) {
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(bin)) {
                    entries.forEach(e -> bins.add(e.getFileName().toString()));
                }
            }
            bins.sort(null);
        }
        out.replaceAll((k, v) -> List.copyOf(v));
        return java.util.Collections.unmodifiableMap(out);
    }

    private NodeStore.RealiseResult realise(NodeStore store, Set<StorePath> roots, Optional<String> token,
                                            Resolver.Resolved resolved, org.imageless.nix.cache.TransferListener listener) {
        boolean present = roots.stream().allMatch(store::isValid);
        if (present) {
            try {
                return new NodeStore.RealiseResult(store.closure(roots), Set.of());
            } catch (NixException e) {
                // a reference went missing: realise below fills it in
            }
        }
        URI cacheUri = URI.create(config.hubUrl() + "/cache");
        BinaryCacheClient.Builder builder = BinaryCacheClient.builder(cacheUri)
                .trustedKeys(TrustedKeys.of(config.trustedKeys()))
                .retries(3, Duration.ofMillis(200), Duration.ofSeconds(2))
                .timeouts(Duration.ofSeconds(10), Duration.ofMinutes(10));
        token.ifPresent(builder::token);
        if (listener != null) {
            builder.listener(listener);
        }
        try (BinaryCacheClient cache = builder.build()) {
            return store.realise(cache, roots);
        } catch (NixException e) {
            String fix = switch (e.kind()) {
                case CORRUPT -> "The node only runs packages it can verify: check that trusted_keys in node.toml holds the "
                        + "key the hub signs with (its operator has it), and that nothing between the node and the hub alters downloads";
                case UNAVAILABLE -> resolved.offlineNote().isPresent()
                        ? "The hub is unreachable and these packages are not on this node yet: restore the node's access to "
                        + config.hubUrl() + " (or prefetch with 'flox-node prefetch " + resolved.shown() + "' while it is reachable)"
                        : "Check that the node can reach " + cacheUri + "; the container starts once the packages are on the node";
                case NOT_FOUND -> "The hub's binary cache lacks them: push the environment's packages to the hub's cache "
                        + "(nix copy --to " + cacheUri + ") or publish them, then restart the pod";
                case DENIED -> "Mount a token that may read " + resolved.ref().description() + " at " + SECRET_DIR + " (file "
                        + TOKEN_FILE + "), or set token_file in node.toml";
                default -> "Check the node store at " + store.dir() + " (flox-node store verify)";
            };
            throw new NixException(e.kind(), "cannot realise the packages of " + resolved.shown() + " from " + cacheUri
                    + ": " + e.getMessage() + ". " + fix, e);
        }
    }

    /**
     * The token for the hub: the host side of the container's mount at {@value #SECRET_DIR} (file
     * {@value #TOKEN_FILE}), else the node's {@code token_file}, else none.
     */
    Optional<String> token(Spec spec) throws IOException {
        for (Mount m : spec.mounts()) {
            Path file = null;
            if (m.source() == null) {
                continue;
            }
            if (m.destination().equals(SECRET_DIR) || m.destination().equals(SECRET_DIR + "/")) {
                file = Path.of(m.source()).resolve(TOKEN_FILE);
            } else if (m.destination().equals(SECRET_DIR + "/" + TOKEN_FILE)) {
                file = Path.of(m.source());
            }
            if (file != null && Files.isRegularFile(file)) {
                String t = Files.readString(file).strip();
                if (!t.isEmpty()) {
                    return Optional.of(t);
                }
            }
        }
        if (config.tokenFile().isPresent()) {
            Path f = config.tokenFile().get();
            if (!Files.isReadable(f)) {
                throw NixException.invalid("token_file %s of node.toml cannot be read: create it with the node's hub token, "
                        + "or remove token_file", f);
            }
            String t = Files.readString(f).strip();
            return t.isEmpty() ? Optional.empty() : Optional.of(t);
        }
        return Optional.empty();
    }

    /** Empty mount points, one per closure path, in a directory that is bound read-only at /nix/store. */
    static Path prepareMountPoints(Path dir, NodeStore store, Set<StorePath> closure) throws IOException {
        Path work = dir.resolveSibling("." + dir.getFileName() + ".tmp");
        org.imageless.nix.nar.NarUnpacker.deleteTree(work);
        Files.createDirectories(work);
        for (StorePath p : closure) {
            Path point = work.resolve(p.baseName());
            if (Files.isDirectory(store.realPath(p), LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(point);
            } else {
                Files.createFile(point);
            }
        }
        org.imageless.nix.nar.NarUnpacker.deleteTree(dir);
        Files.move(work, dir, StandardCopyOption.ATOMIC_MOVE);
        return dir;
    }

    /**
     * The private writable store of a nix-mutable container; returns the closure's directories (overlaid).
     * The container's user ({@code uid}/{@code gid} of its process) owns the top level, where new store
     * paths go, and the top of each overlaid path, as a single-user Nix store belongs to its user.
     */
    static SortedSet<StorePath> prepareMutable(Path dir, NodeStore store, Set<StorePath> closure, int uid, int gid)
            throws IOException {
        org.imageless.nix.nar.NarUnpacker.deleteTree(dir);
        Path top = Files.createDirectories(OverlayForMutable.storeDir(dir));
        own(top, uid, gid);
        SortedSet<StorePath> directories = new TreeSet<>();
        for (StorePath p : closure) {
            Path real = store.realPath(p);
            if (Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(top.resolve(p.baseName()));
                own(Files.createDirectories(OverlayForMutable.upperDir(dir, p)), uid, gid);
                Files.createDirectories(OverlayForMutable.workDir(dir, p));
                directories.add(p);
            } else {
                Files.copy(real, top.resolve(p.baseName()), LinkOption.NOFOLLOW_LINKS, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        return directories;
    }

    private static void own(Path p, int uid, int gid) throws IOException {
        if (uid != 0 || gid != 0) {
            Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        }
    }

    /**
     * The activation report (contract C2), made when it is sent: what it needs of the spec is taken now (the
     * edits change the spec), and the start's time too.
     */
    private java.util.function.Supplier<String> event(Spec spec, Resolver.Resolved r, String container, PodAnnotations pod) {
        Map<String, String> a = spec.annotations();
        String namespace = a.getOrDefault("io.kubernetes.cri.sandbox-namespace", "");
        String podName = a.getOrDefault("io.kubernetes.cri.sandbox-name", "");
        String node = config.nodeName();
        Instant time = Instant.now();
        return () -> {
            ObjectNode o = JSON.createObjectNode();
            o.put("environment", r.ref().description());
            o.put("generation", r.generation());
            o.put("node", node);
            o.put("namespace", namespace);
            o.put("pod", podName);
            o.put("container", container);
            o.put("mode", pod.activateMode().text());
            o.put("time", time.truncatedTo(ChronoUnit.SECONDS).toString());
            return o.toString();
        };
    }
}
