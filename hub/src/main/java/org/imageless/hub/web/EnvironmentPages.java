package org.imageless.hub.web;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.patch.Patch;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.imageless.environment.generation.Generation;
import org.imageless.environment.generation.GenerationsMetadata;
import org.imageless.environment.generation.HistoryEntry;
import org.imageless.environment.lock.LockedPackage;
import org.imageless.environment.manifest.InstallEntry;
import org.imageless.environment.manifest.Manifest;
import org.imageless.hub.Hub;
import org.imageless.hub.HubException;
import org.imageless.hub.account.Owner;
import org.imageless.hub.activation.Activations;
import org.imageless.hub.activation.Running;
import org.imageless.hub.auth.Principal;
import org.imageless.hub.environment.BranchSnapshot;
import org.imageless.hub.environment.Environment;
import org.imageless.hub.web.WebSessions.Visitor;

/**
 * An owner's environments and an environment's tabs: packages, variables, scripts, generations,
 * history (with manifest diffs) and where each generation runs now. Private environments are shown
 * to members only; a denial says why (sign in, or not a member) as the body of a 401/403 page.
 */
final class EnvironmentPages {

    /** The tabs of an environment page, in order: path segment and title. */
    static final Map<String, String> TABS = tabs();

    private final Hub hub;
    private final Activations activations;

    EnvironmentPages(Hub hub, Activations activations) {
        this.hub = hub;
        this.activations = activations;
    }

    private static Map<String, String> tabs() {
        Map<String, String> t = new LinkedHashMap<>();
        t.put("packages", "Packages");
        t.put("vars", "Variables");
        t.put("scripts", "Scripts");
        t.put("generations", "Generations");
        t.put("history", "History");
        t.put("running", "Running now");
        return t;
    }

    /** {@code /envs/{owner}}: the environments the visitor may read, and how many private ones are hidden and why. */
    Html owner(Visitor v, String ownerName) {
        Owner owner = hub.accounts().owner(ownerName).orElseThrow(() ->
                HubException.notFound("no user or organisation is named '%s'", ownerName));
        List<Environment> all = hub.environments().list(owner.name());
        List<Environment> visible = all.stream()
                .filter(e -> hub.access().canRead(v.principal(), e.owner(), e.visibility())).toList();
        int hidden = all.size() - visible.size();
        Html rows = Html.join(visible, e -> Html.of("""
                <tr><td><a href="/envs/%s/%s">%s</a></td><td><span class="badge">%s</span></td><td>%s</td><td>%s</td></tr>""",
                e.owner(), e.name(), e.name(), e.visibility().label(), liveLabel(e), Layout.time(e.updatedAt())));
        Html table = visible.isEmpty()
                ? Html.of("<p id=\"no-environments\">%s has no environments you can see.</p>", owner.name())
                : Html.of("""
                        <table id="environments"><thead><tr><th>Environment</th><th>Visibility</th><th>Live generation</th>
                        <th>Updated</th></tr></thead><tbody>%s</tbody></table>""", rows);
        Html note = Html.when(hidden > 0, Html.of("<p class=\"notice\" id=\"hidden-note\">%s</p>",
                hidden + " private environment" + (hidden == 1 ? " is" : "s are") + " not shown: "
                        + whyPrivate(v, owner.name())));
        return Html.of("<h1>%s</h1><p>%s</p>%s%s", owner.name(),
                owner.kind() == Owner.Kind.USER ? "User" : "Organisation", table, note);
    }

    private String liveLabel(Environment e) {
        try {
            return hub.environments().metadata(e.owner(), e.name()).liveGeneration().stream()
                    .mapToObj(Integer::toString).findFirst().orElse("none");
        } catch (RuntimeException ex) {
            return "unreadable";
        }
    }

    /** Why the visitor cannot read private environments of {@code owner}: the text of a denial. */
    String whyPrivate(Visitor v, String owner) {
        return v.principal() instanceof Principal.Anonymous
                ? "only members of '" + owner + "' can see private environments, and you are not signed in; sign in as a member"
                : "only members of '" + owner + "' can see private environments, and " + v.name() + " is not a member of '"
                        + owner + "'; an owner of '" + owner + "' can add you";
    }

    /** {@code /envs/{owner}/{name}/{tab}}. */
    Html environment(Visitor v, String owner, String name, String tab) {
        if (!TABS.containsKey(tab)) {
            throw HubException.notFound("an environment page has no tab '%s': use one of %s", tab, String.join(", ", TABS.keySet()));
        }
        Environment env = hub.environments().find(owner, name).orElseThrow(() ->
                HubException.notFound("environment '%s/%s' does not exist", owner, name));
        if (!hub.access().canRead(v.principal(), owner, env.visibility())) {
            String why = "environment '" + owner + "/" + name + "' is private: " + whyPrivate(v, owner);
            throw v.signedIn() ? HubException.forbidden("%s", why) : HubException.unauthenticated("%s", why);
        }
        BranchSnapshot head = hub.environments().head(owner, name);
        GenerationsMetadata metadata = head.metadata();
        int live = metadata.liveGeneration().orElseThrow(() ->
                HubException.notFound("environment '%s/%s' has no generations yet", owner, name));
        Generation generation = hub.environments().generation(owner, name, live);
        Html tabs = Html.join(TABS.entrySet(), t -> Html.of("<a href=\"/envs/%s/%s/%s\" id=\"tab-%s\"%s>%s</a>",
                owner, name, t.getKey(), t.getKey(), new Html(t.getKey().equals(tab) ? " class=\"active\" aria-current=\"page\"" : ""),
                t.getValue()));
        Html content = switch (tab) {
            case "packages" -> packages(generation);
            case "vars" -> vars(generation.manifest());
            case "scripts" -> scripts(generation.manifest());
            case "generations" -> generations(owner, name, metadata);
            case "history" -> history(metadata, head);
            case "running" -> running(owner, name);
            default -> throw new IllegalStateException(tab);
        };
        return Html.of("""
                <h1><a href="/envs/%s">%s</a>/%s <span class="badge" id="visibility">%s</span></h1>
                <p>Live generation <strong id="live-generation">%s</strong> · updated %s</p>
                <nav class="tabs">%s</nav><section id="tab-content">%s</section>""",
                owner, owner, name, env.visibility().label(), live, Layout.time(env.updatedAt()), tabs, content);
    }

    private static Html packages(Generation g) {
        Manifest m = g.manifest();
        if (m.install().isEmpty()) {
            return Html.of("<p id=\"no-packages\">The live generation installs no packages.</p>");
        }
        Map<String, Map<String, TreeSet<String>>> locked = new HashMap<>();
        if (g.lock() != null) {
            for (LockedPackage p : g.lock().packages()) {
                String version = switch (p) {
                    case LockedPackage.Catalog c -> c.version() == null ? "?" : c.version();
                    case LockedPackage.Flake f -> f.lockedUrl();
                    case LockedPackage.StorePathPackage s -> s.storePath().toString();
                };
                locked.computeIfAbsent(p.installId(), k -> new TreeMap<>())
                        .computeIfAbsent(version, k -> new TreeSet<>()).add(p.system());
            }
        }
        Html rows = Html.join(m.install().entrySet(), e -> {
            InstallEntry entry = e.getValue();
            String what = switch (entry) {
                case InstallEntry.Catalog c -> c.pkgPath();
                case InstallEntry.Flake f -> f.flake();
                case InstallEntry.StorePathEntry s -> s.storePath();
            };
            String requested = entry instanceof InstallEntry.Catalog c && c.version() != null ? c.version() : "any";
            Map<String, TreeSet<String>> versions = locked.getOrDefault(e.getKey(), Map.of());
            Html lockedCell = versions.isEmpty()
                    ? Html.text(g.lock() == null ? "not locked" : "not resolved")
                    : Html.join(versions.entrySet(), ve -> Html.of("<div><span class=\"version\">%s</span> <small>(%s)</small></div>",
                            ve.getKey(), String.join(", ", ve.getValue())));
            return Html.of("<tr><td>%s</td><td><code>%s</code></td><td>%s</td><td>%s</td></tr>",
                    e.getKey(), what, requested, lockedCell);
        });
        return Html.of("""
                <table id="packages"><thead><tr><th>Install id</th><th>Package</th><th>Requested version</th>
                <th>Locked version (systems)</th></tr></thead><tbody>%s</tbody></table>
                <p>Systems: %s</p>""", rows, String.join(", ", m.systems()));
    }

    private static Html vars(Manifest m) {
        if (m.vars().isEmpty()) {
            return Html.of("<p id=\"no-vars\">The live generation sets no variables.</p>");
        }
        return Html.of("<table id=\"vars\"><thead><tr><th>Name</th><th>Value</th></tr></thead><tbody>%s</tbody></table>",
                Html.join(m.vars().entrySet(), e -> Html.of("<tr><td><code>%s</code></td><td><code>%s</code></td></tr>",
                        e.getKey(), e.getValue())));
    }

    private static Html scripts(Manifest m) {
        List<Html> parts = new ArrayList<>();
        parts.add(script("hook", "Hook: on-activate (bash, at every activation)", m.hook().onActivate()));
        Manifest.Profile p = m.profile();
        parts.add(script("profile-common", "Profile: common (every shell)", p.common()));
        parts.add(script("profile-bash", "Profile: bash", p.bash()));
        parts.add(script("profile-zsh", "Profile: zsh", p.zsh()));
        parts.add(script("profile-fish", "Profile: fish", p.fish()));
        parts.add(script("profile-tcsh", "Profile: tcsh", p.tcsh()));
        return Html.join(parts, h -> h);
    }

    private static Html script(String id, String title, String text) {
        return text == null
                ? Html.of("<h3>%s</h3><p id=\"%s\" class=\"none\">none</p>", title, id)
                : Html.of("<h3>%s</h3><pre id=\"%s\">%s</pre>", title, id, text);
    }

    private Html generations(String owner, String name, GenerationsMetadata metadata) {
        int live = metadata.liveGeneration().orElseThrow();
        Map<Integer, Long> lastLive = new HashMap<>();
        for (HistoryEntry e : metadata.history()) {
            if (e.previousGeneration() != null) {
                lastLive.merge(e.previousGeneration(), e.timestamp(), Math::max);
            }
        }
        Map<Integer, Integer> containers = new HashMap<>();
        for (Running r : activations.running(owner, name)) {
            containers.merge(r.generation(), 1, Integer::sum);
        }
        List<Integer> numbers = new ArrayList<>(metadata.generations().reversed());
        Html rows = Html.join(numbers, n -> {
            HistoryEntry created = metadata.creation(n);
            String last = n == live ? "live now" : lastLive.containsKey(n) ? Layout.time(Instant.ofEpochSecond(lastLive.get(n))) : "never";
            int count = containers.getOrDefault(n, 0);
            return Html.of("<tr id=\"generation-%s\"><td>%s%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
                    n, n, Html.when(n == live, Html.of(" <span class=\"badge\">live</span>")),
                    Layout.time(Instant.ofEpochSecond(created.timestamp())), created.author(), created.hostname(),
                    change(created), last, count == 0 ? "–" : count + " container" + (count == 1 ? "" : "s"));
        });
        return Html.of("""
                <table id="generations"><thead><tr><th>Generation</th><th>Created</th><th>Author</th><th>Host</th>
                <th>Change</th><th>Last live</th><th>Running</th></tr></thead><tbody>%s</tbody></table>""", rows);
    }

    /** What a history entry did, as the command that does it. */
    static String change(HistoryEntry e) {
        HistoryEntry.Change c = e.change();
        return switch (c.kind()) {
            case INSTALL, UNINSTALL, UPGRADE -> "flox " + c.kind().json() + " " + String.join(" ", c.targets());
            case INCLUDE_UPGRADE -> "flox include upgrade " + String.join(" ", c.targets());
            case EDIT -> "flox edit";
            case IMPORT -> "flox push (import)";
            case MIGRATE_V1 -> "migrate from v1: " + c.text();
            case SWITCH_GENERATION -> "switch to generation " + e.currentGeneration();
            case OTHER -> c.text();
        };
    }

    private static Html history(GenerationsMetadata metadata, BranchSnapshot head) {
        List<HistoryEntry> entries = new ArrayList<>(metadata.history());
        List<Html> items = new ArrayList<>();
        for (int i = entries.size() - 1; i >= 0; i--) {
            HistoryEntry e = entries.get(i);
            Html detail;
            if (e.createsGeneration()) {
                int n = e.currentGeneration();
                String before = n > 1 ? head.text(Generation.manifestPath(n - 1)).orElse("") : "";
                String after = head.text(Generation.manifestPath(n)).orElse("");
                detail = diff(n > 1 ? (n - 1) + "/env/manifest.toml" : "/dev/null", Generation.manifestPath(n), before, after);
            } else {
                detail = Html.of("<p>Generation %s was live before; generation %s is live after.</p>",
                        e.previousGeneration(), e.currentGeneration());
            }
            items.add(Html.of("""
                    <article class="entry" id="history-%s"><h3>%s</h3>
                    <p><span class="author">%s</span> on <span class="hostname">%s</span> ran <code class="command">%s</code>
                    at <span class="time">%s</span>: generation %s live (before: %s)</p>%s</article>""",
                    i, e.createsGeneration() ? "Generation " + e.currentGeneration() : "Switch to generation " + e.currentGeneration(),
                    e.author(), e.hostname(), change(e), Layout.time(Instant.ofEpochSecond(e.timestamp())),
                    e.currentGeneration(), e.previousGeneration() == null ? "none" : e.previousGeneration(), detail));
        }
        return Html.of("<div id=\"history\">%s</div>", Html.join(items, h -> h));
    }

    /** A unified diff of two manifests, lines coloured by kind. */
    static Html diff(String fromName, String toName, String before, String after) {
        List<String> a = before.isEmpty() ? List.of() : before.lines().toList();
        List<String> b = after.lines().toList();
        Patch<String> patch = DiffUtils.diff(a, b);
        if (patch.getDeltas().isEmpty()) {
            return Html.of("<p class=\"diff-none\">The manifest did not change (the lock may have).</p>");
        }
        List<String> lines = UnifiedDiffUtils.generateUnifiedDiff(fromName, toName, a, patch, 3);
        return Html.of("<pre class=\"diff\">%s</pre>", Html.join(lines, line -> {
            String cls = line.startsWith("+++") || line.startsWith("---") ? "file"
                    : line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "ctx";
            return Html.of("<span class=\"%s\">%s</span>\n", cls, line);
        }));
    }

    private Html running(String owner, String name) {
        List<Running> running = activations.running(owner, name);
        if (running.isEmpty()) {
            return Html.of("<p id=\"not-running\">No node has reported a container running this environment in the last %s days.</p>",
                    Activations.WINDOW.toDays());
        }
        Html rows = Html.join(running, r -> Html.of(
                "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
                r.generation(), r.node(), r.namespace(), r.pod(), r.container(), r.mode().text(), Layout.time(r.activatedAt())));
        return Html.of("""
                <table id="running"><thead><tr><th>Generation</th><th>Node</th><th>Namespace</th><th>Pod</th><th>Container</th>
                <th>Mode</th><th>Started</th></tr></thead><tbody>%s</tbody></table>
                <p><small>The latest report of each container from the last %s days; a container started again replaces its earlier report.</small></p>""",
                rows, Activations.WINDOW.toDays());
    }
}
