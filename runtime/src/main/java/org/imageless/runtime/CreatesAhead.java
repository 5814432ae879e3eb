package org.imageless.runtime;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Resident mode: creates planned while containerd still sets their task up. containerd writes a bundle's
 * {@code config.json}, then starts or reaches the pod's shim, which mounts the container's root file system and
 * only then runs {@code runc create}: 8–14 ms later on a 2-core node (make bench). The daemon watches (inotify)
 * each directory that held a bundle it was asked to create, and plans the create of every new bundle there as soon
 * as containerd has written its {@code config.json} ({@link Create#ahead}). The create then only writes what was
 * planned, if {@code config.json} is still the file that was planned from (same inode, size and modification
 * time); otherwise, and whenever nothing was planned, it does everything itself, as before.
 *
 * <p>What is planned has no effect outside the daemon until it is written (see {@link Create#ahead}), so
 * a bundle that never gets a create (a container of another runtime in the same namespace) leaves nothing
 * behind. Only bundles whose spec mentions a {@code flox.dev/} annotation are planned at all.
 *
 * <p>A container whose pod's sandbox was created through the daemon runs through the launcher too (a pod has one
 * runtime): its plan is written at once ({@link Create.Ahead#writeAhead}), and the launcher's create, finding the
 * bundle's config.json to be what was written ({@link Create#PREPARED}), runs runc without asking the daemon.
 * Its activation is reported once runc has created it (the shim's {@code init.pid} appears in the bundle); if the
 * bundle goes first, its activation record goes with it.
 */
final class CreatesAhead {

    static final String CONFIG = "config.json";
    /** The file runc create writes in the bundle (containerd's shim gives it as {@code --pid-file}). */
    static final String INIT_PID = "init.pid";
    /** Bundles remembered (planned, being planned, or claimed by their create); the oldest go first. */
    private static final int KEPT = 1024;

    /** Plans the create of a bundle from its config.json's text; empty when it cannot be planned ahead. */
    @FunctionalInterface
    interface Planner {
        Optional<Create.Ahead> plan(Path bundle, String text);
    }

    /** What identifies one version of a file: a new file, or one rewritten, differs in one of these. */
    record Stamp(Object fileKey, long size, FileTime modified) {
        static Optional<Stamp> of(Path file) {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                return Optional.of(new Stamp(a.fileKey(), a.size(), a.lastModifiedTime()));
            } catch (IOException e) {
                return Optional.empty();
            }
        }
    }

    /**
     * The planning of one bundle: its result, and the version of config.json it was planned from (or, once written
     * ahead, the one written).
     */
    private static final class Plan {
        final CompletableFuture<Optional<Create.Ahead>> result = new CompletableFuture<>();
        volatile Stamp stamp;
        /** config.json changed while it was being planned: plan again if that failed. */
        boolean again;
        /** Its create came: nothing more is planned for it. */
        volatile boolean claimed;
        /** Written ahead, and runc has created the container: reported. */
        boolean created;
    }

    private static final Object LOCK = new Object();
    /** By bundle: its plan (a create that came before any plan claims an empty one). */
    private static final Map<Path, Plan> BUNDLES = new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Path, Plan> eldest) {
            return size() > KEPT;
        }
    };
    /** Directories watched for new bundles, and the planner of the latest create there (its node.toml). */
    private static final Map<Path, Planner> PARENTS = new HashMap<>();
    /** What each watch key watches: a directory of bundles (in {@link #PARENTS}) or a bundle. */
    private static final Map<WatchKey, Path> WATCHED = new HashMap<>();
    /** The watch keys of the bundles watched until their config.json is planned. */
    private static final Map<Path, WatchKey> BUNDLE_KEYS = new HashMap<>();
    private static WatchService watcher;

    private CreatesAhead() {
    }

    /**
     * Watches the directory that holds {@code bundle}, so that the creates of the bundles that appear there
     * next are planned with {@code planner} as soon as containerd writes them. Nothing happens when it cannot be
     * watched: those creates are not planned ahead.
     */
    static void learn(Path bundle, Planner planner) {
        Path parent = bundle.toAbsolutePath().normalize().getParent();
        if (parent == null) {
            return;
        }
        synchronized (LOCK) {
            if (PARENTS.replace(parent, planner) != null) {
                return;
            }
        }
        try {
            WatchKey key = parent.register(watcher(), ENTRY_CREATE, ENTRY_DELETE);
            synchronized (LOCK) {
                PARENTS.put(parent, planner);
                WATCHED.put(key, parent);
            }
        } catch (IOException | RuntimeException e) {
            // not planned ahead: each create does it all
        }
    }

    /**
     * What was planned for {@code bundle}, once it is ready, if its config.json is still the one planned from;
     * empty otherwise. From now on nothing more is planned for it: the create does what was not.
     */
    static Optional<Create.Ahead> take(Path bundle) {
        Path b = bundle.toAbsolutePath().normalize();
        Plan plan;
        synchronized (LOCK) {
            if (!PARENTS.containsKey(b.getParent())) {
                return Optional.empty();
            }
            plan = BUNDLES.get(b);
            if (plan == null) {
                plan = new Plan();
                plan.result.complete(Optional.empty());
                BUNDLES.put(b, plan);
            }
            plan.claimed = true; // (kept: a plan written ahead is reported, or forgotten, later)
        }
        Optional<Create.Ahead> ahead = plan.result.join();
        return ahead.isPresent() && Stamp.of(b.resolve(CONFIG)).equals(Optional.ofNullable(plan.stamp)) ? ahead : Optional.empty();
    }

    /**
     * Waits, at most {@code max}, until the planning of {@code bundle} is over; whether it planned the create.
     * For the daemon's warm-up and for tests, which write a bundle and then create it at once (containerd takes
     * some milliseconds in between). False at once when its directory is not watched.
     */
    static boolean settle(Path bundle, java.time.Duration max) {
        Path b = bundle.toAbsolutePath().normalize();
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            Plan p;
            synchronized (LOCK) {
                if (!PARENTS.containsKey(b.getParent())) {
                    return false;
                }
                p = BUNDLES.get(b);
            }
            long left = deadline - System.nanoTime();
            if (p != null) {
                try {
                    if (p.result.get(Math.max(left, 0), java.util.concurrent.TimeUnit.NANOSECONDS).isPresent()) {
                        return true;
                    }
                } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
                synchronized (LOCK) {
                    if (BUNDLES.get(b) == p) {
                        return false; // (else it was read before it was written: planned again at its write)
                    }
                }
            }
            if (left <= 0) {
                return false;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private static synchronized WatchService watcher() throws IOException {
        if (watcher == null) {
            watcher = FileSystems.getDefault().newWatchService();
            Thread.ofPlatform().daemon().name("flox-runtime-bundles").start(CreatesAhead::watch);
        }
        return watcher;
    }

    /** The watcher's thread: new bundles get a watch of their own, whose config.json is planned once written. */
    private static void watch() {
        while (true) {
            WatchKey key;
            try {
                key = watcher.take();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            Path dir;
            boolean parent;
            synchronized (LOCK) {
                dir = WATCHED.get(key);
                parent = dir != null && PARENTS.containsKey(dir);
            }
            if (dir != null) {
                for (WatchEvent<?> event : key.pollEvents()) {
                    if (!(event.context() instanceof Path name)) {
                        continue; // OVERFLOW: those bundles' creates do it all
                    }
                    try {
                        if (parent) {
                            bundleEvent(dir.resolve(name), event.kind() == ENTRY_DELETE);
                        } else if (name.toString().equals(CONFIG)) {
                            configWritten(dir);
                        } else if (name.toString().equals(INIT_PID)) {
                            created(dir);
                        }
                    } catch (RuntimeException e) {
                        // not planned ahead: its create does it all
                    }
                }
            }
            if (!key.reset()) {
                synchronized (LOCK) {
                    if (WATCHED.remove(key) != null && dir != null) {
                        if (parent) {
                            PARENTS.remove(dir); // gone: learnt again at the next create there
                        } else {
                            BUNDLE_KEYS.remove(dir, key);
                        }
                    }
                }
            }
        }
    }

    /** A bundle directory appeared ({@code deleted}: went) in a watched directory. */
    private static void bundleEvent(Path bundle, boolean deleted) {
        if (deleted) {
            Plan p;
            synchronized (LOCK) {
                p = BUNDLES.remove(bundle);
            }
            unwatch(bundle);
            if (p != null && p.result.isDone()) {
                p.result.getNow(Optional.empty()).filter(Create.Ahead::written).ifPresent(a -> a.forget(bundle));
            }
            return;
        }
        // (containerd removes a bundle by renaming it to .ID first)
        if (bundle.getFileName().toString().startsWith(".") || !Files.isDirectory(bundle, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            WatchKey key = bundle.register(watcher, ENTRY_CREATE, ENTRY_MODIFY);
            synchronized (LOCK) {
                WATCHED.put(key, bundle);
                BUNDLE_KEYS.put(bundle, key);
            }
        } catch (IOException e) {
            return;
        }
        // written before the watch began?
        if (Stamp.of(bundle.resolve(CONFIG)).map(s -> s.size() > 0).orElse(false)) {
            configWritten(bundle);
        }
    }

    /** config.json of {@code bundle} was written: plan it, unless it is planned or claimed already. */
    private static void configWritten(Path bundle) {
        // a container is being started (its create may never come to the daemon): reports wait for a quiet node
        org.imageless.runtime.hub.DeferredReports.busy();
        Planner planner;
        Plan plan = new Plan();
        synchronized (LOCK) {
            planner = PARENTS.get(bundle.getParent());
            Plan p = BUNDLES.get(bundle);
            if (planner == null) {
                return;
            }
            if (p != null) {
                if (p.claimed) {
                    return;
                }
                if (!p.result.isDone()) {
                    p.again = true;
                    return;
                }
                if (p.result.getNow(Optional.empty()).isPresent()) {
                    return;
                }
            }
            BUNDLES.put(bundle, plan);
        }
        Thread.ofVirtual().name("plan create " + bundle.getFileName()).start(() -> plan(bundle, planner, plan));
    }

    /** Plans {@code bundle}; again if its config.json was rewritten meanwhile and this failed. */
    private static void plan(Path bundle, Planner planner, Plan plan) {
        Path file = bundle.resolve(CONFIG);
        while (true) {
            Optional<Create.Ahead> ahead = Optional.empty();
            boolean unwritten = false;
            try {
                Optional<Stamp> before = Stamp.of(file);
                String text = Files.readString(file);
                Optional<Stamp> after = Stamp.of(file);
                // created, not written yet (or not all of it: containerd's JSON ends with '}'): its next write plans it
                unwritten = !text.stripTrailing().endsWith("}");
                // (only the specs of flox pods: containerd passes the flox.dev/ annotations to our runtime only)
                if (!unwritten && before.isPresent() && before.equals(after) && text.contains("\"flox.dev/")) {
                    plan.stamp = after.get();
                    ahead = planner.plan(bundle, text);
                }
                if (ahead.isPresent() && ahead.get().writable() && Stamp.of(file).equals(after)) {
                    ahead = Optional.of(ahead.get().writeAhead(bundle));
                    plan.stamp = Stamp.of(file).orElse(null);
                }
            } catch (IOException | RuntimeException e) {
                // not planned (or not written): its create does it all
            }
            boolean gone;
            synchronized (LOCK) {
                if (ahead.isEmpty() && plan.again && !plan.claimed && BUNDLES.get(bundle) == plan) {
                    plan.again = false;
                    continue;
                }
                if (unwritten && !plan.claimed) {
                    // still watched: the write that follows plans it afresh (once its create came, that does it all)
                    BUNDLES.remove(bundle, plan);
                    plan.result.complete(Optional.empty());
                    return;
                }
                plan.result.complete(ahead);
                gone = BUNDLES.get(bundle) != plan;
            }
            if (ahead.isEmpty() || !ahead.get().written()) {
                // nothing more to see there: a rewrite is caught by the stamp, and a bundle that could not be
                // planned (not a flox pod's, or read while it was still being written) is created the usual way
                unwatch(bundle);
            } else if (gone) {
                ahead.get().forget(bundle); // the bundle went while it was being written
            } else if (Files.exists(bundle.resolve(INIT_PID))) {
                created(bundle); // (runc was quicker than the watch)
            }
            return;
        }
    }

    /** runc created the container of {@code bundle} ({@link #INIT_PID}): if it was written ahead, it is reported. */
    private static void created(Path bundle) {
        Create.Ahead ahead;
        synchronized (LOCK) {
            Plan p = BUNDLES.get(bundle);
            if (p == null || !p.result.isDone() || p.created) {
                return;
            }
            ahead = p.result.getNow(Optional.empty()).filter(Create.Ahead::written).orElse(null);
            if (ahead == null) {
                return;
            }
            p.created = true;
        }
        unwatch(bundle);
        ahead.created();
    }

    /** Stops watching {@code bundle} itself. */
    private static void unwatch(Path bundle) {
        WatchKey key;
        synchronized (LOCK) {
            key = BUNDLE_KEYS.remove(bundle);
            if (key != null) {
                WATCHED.remove(key);
            }
        }
        if (key != null) {
            key.cancel();
        }
    }
}
