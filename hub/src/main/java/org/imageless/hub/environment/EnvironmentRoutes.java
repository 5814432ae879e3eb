package org.imageless.hub.environment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.imageless.environment.generation.Generation;
import org.imageless.environment.generation.GenerationsMetadata;
import org.imageless.environment.generation.HistoryEntry;
import org.imageless.environment.lock.LockedPackage;
import org.imageless.environment.lock.Lockfile;
import org.imageless.environment.manifest.InstallEntry;
import org.imageless.environment.manifest.Manifest;
import org.imageless.hub.Hub;
import org.imageless.hub.HubException;
import org.imageless.hub.auth.Access;
import org.imageless.hub.auth.Principal;
import org.imageless.hub.auth.Visibility;
import org.imageless.hub.server.Requests;
import org.imageless.hub.server.Routes;

/**
 * The environments REST API (contract C1), JSON under {@code /api/v1/environments}:
 * <ul>
 *   <li>{@code GET {owner}}: the owner's environments the caller may read</li>
 *   <li>{@code GET|PATCH|DELETE {owner}/{name}}: summary of the live generation; visibility change
 *       (writer); delete (owner)</li>
 *   <li>{@code GET {owner}/{name}/generations}, {@code …/generations/{n|live}}, {@code …/history}</li>
 *   <li>{@code POST {owner}/{name}/generations/{n}/switch}: make {@code n} live (writer)</li>
 * </ul>
 * Reads: public environments for anyone (an expired or revoked token reads as anonymous with a
 * {@code Warning}), private ones for members of the owner (401 without a usable token saying why,
 * 403 for a non-member). Unknown owners, environments and generations are 404.
 */
public final class EnvironmentRoutes implements Routes {

    static final String BASE = "/api/v1/environments";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Hub hub;
    private final Environments environments;
    private final Access access;

    public EnvironmentRoutes(Hub hub) {
        this.hub = hub;
        this.environments = hub.environments();
        this.access = hub.access();
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get(BASE + "/{owner}", this::list);
        routes.get(BASE + "/{owner}/{name}", ctx -> json(ctx, 200, summary(readable(ctx))));
        routes.patch(BASE + "/{owner}/{name}", this::patch);
        routes.delete(BASE + "/{owner}/{name}", this::delete);
        routes.get(BASE + "/{owner}/{name}/generations", this::generations);
        routes.get(BASE + "/{owner}/{name}/generations/{generation}", this::generation);
        routes.get(BASE + "/{owner}/{name}/history", this::history);
        routes.post(BASE + "/{owner}/{name}/generations/{generation}/switch", this::switchGeneration);
    }

    // ---------------------------------------------------------------- access

    private String owner(Context ctx) {
        String owner = ctx.pathParam("owner");
        if (hub.accounts().owner(owner).isEmpty()) {
            throw HubException.notFound("no user or organisation is named '%s'", owner);
        }
        return owner;
    }

    private Environment existing(String owner, String name) {
        return environments.find(owner, name).orElseThrow(() -> HubException.notFound(
                "environment '%s/%s' does not exist: 'GET %s/%s' lists the ones you may read", owner, name, BASE, owner));
    }

    /** The environment of the path, if the caller may read it. */
    private Environment readable(Context ctx) {
        String owner = owner(ctx);
        Environment env = existing(owner, ctx.pathParam("name"));
        Requests.checkRead(ctx, access, owner, env.visibility());
        return env;
    }

    /** The caller, if they may write to the path's owner (checked before the environment, so non-members learn nothing). */
    private Principal writer(Context ctx) {
        Principal p = Requests.principal(ctx);
        access.checkWrite(p, owner(ctx));
        return p;
    }

    // ---------------------------------------------------------------- handlers

    private void list(Context ctx) {
        String owner = owner(ctx);
        Principal p = Requests.principalOrAnonymous(ctx);
        ObjectNode body = JSON.createObjectNode();
        body.put("owner", owner);
        ArrayNode list = body.putArray("environments");
        for (Environment env : environments.list(owner)) {
            if (!access.canRead(p, owner, env.visibility())) {
                continue;
            }
            ObjectNode e = list.addObject();
            e.put("name", env.name());
            e.put("visibility", env.visibility().label());
            int live = environments.store().head(owner, env.name())
                    .map(h -> h.metadata().liveGeneration().orElse(-1)).orElse(-1);
            if (live > 0) {
                e.put("live_generation", live);
            } else {
                e.putNull("live_generation");
            }
            e.put("updated_at", env.updatedAt().toString());
        }
        json(ctx, 200, body);
    }

    private void patch(Context ctx) {
        writer(ctx);
        Environment env = existing(ctx.pathParam("owner"), ctx.pathParam("name"));
        JsonNode request;
        try {
            request = JSON.readTree(ctx.body().isBlank() ? "null" : ctx.body());
        } catch (JsonProcessingException e) {
            throw HubException.invalid("the request is not valid JSON: %s", e.getOriginalMessage());
        }
        if (!(request instanceof ObjectNode o) || !o.has("visibility") || o.size() != 1 || !o.get("visibility").isTextual()) {
            throw HubException.invalid("the request must be {\"visibility\": \"public\"|\"private\"} and nothing else");
        }
        environments.setVisibility(env.owner(), env.name(), Visibility.parse(o.get("visibility").asText()));
        json(ctx, 200, summary(existing(env.owner(), env.name())));
    }

    private void delete(Context ctx) {
        Principal p = Requests.principal(ctx);
        String owner = owner(ctx);
        if (!access.isOwner(p, owner)) {
            throw HubException.forbidden("%s may not delete environments of '%s' (role: %s): deleting needs the owner role",
                    p.name(), owner, access.role(p, owner).label());
        }
        Environment env = existing(owner, ctx.pathParam("name"));
        environments.delete(env.owner(), env.name());
        ctx.status(204);
    }

    private void generations(Context ctx) {
        Environment env = readable(ctx);
        GenerationsMetadata metadata = environments.metadata(env.owner(), env.name());
        int live = metadata.liveGeneration().orElse(-1);
        ObjectNode body = JSON.createObjectNode();
        ArrayNode list = body.putArray("generations");
        List<HistoryEntry> history = metadata.history();
        for (int n : metadata.generations()) {
            HistoryEntry created = metadata.creation(n);
            ObjectNode g = list.addObject();
            g.put("generation", n);
            g.put("live", n == live);
            g.put("created", Instant.ofEpochSecond(created.timestamp()).toString());
            Long lastLive = lastLive(history, n);
            if (lastLive == null) {
                g.putNull("last_live");
            } else {
                g.put("last_live", Instant.ofEpochSecond(lastLive).toString());
            }
            g.put("author", created.author());
            g.put("hostname", created.hostname());
            putNullable(g, "command", created.commandLine());
            g.put("description", created.summary());
        }
        json(ctx, 200, body);
    }

    /**
     * When generation {@code n} last stopped being live (the time of the entry that replaced it after its
     * last live period); null when it is live now.
     */
    static Long lastLive(List<HistoryEntry> history, int n) {
        Long result = null;
        for (int i = 0; i < history.size(); i++) {
            if (history.get(i).currentGeneration() == n) {
                result = i + 1 < history.size() ? history.get(i + 1).timestamp() : null;
            }
        }
        return result;
    }

    private void generation(Context ctx) {
        Environment env = readable(ctx);
        BranchSnapshot head = environments.head(env.owner(), env.name());
        GenerationsMetadata metadata = head.metadata();
        int live = metadata.liveGeneration().orElseThrow(() ->
                HubException.notFound("environment '%s/%s' has no generations yet", env.owner(), env.name()));
        int n = generationNumber(ctx.pathParam("generation"), live, metadata, env);
        // a pure function of the branch's commit: rendered once per commit, not at every container start
        String body = head.derived("generation-body/" + n, snapshot -> generationBody(env, snapshot, n, live).toString());
        ctx.status(200).contentType("application/json").result(body);
    }

    private static ObjectNode generationBody(Environment env, BranchSnapshot head, int n, int live) {
        ObjectNode body = JSON.createObjectNode();
        body.put("owner", env.owner());
        body.put("name", env.name());
        body.put("generation", n);
        body.put("live", n == live);
        body.put("manifest", head.text(Generation.manifestPath(n)).orElseThrow());
        Optional<String> lock = head.text(Generation.lockPath(n));
        if (lock.isPresent()) {
            try {
                body.set("lock", JSON.readTree(lock.get()));
            } catch (JsonProcessingException e) {
                throw HubException.invalid("%s of %s/%s is not JSON: %s", Generation.lockPath(n), env.owner(), env.name(),
                        e.getOriginalMessage());
            }
        } else {
            body.putNull("lock");
        }
        HistoryEntry created = head.metadata().creation(n);
        ObjectNode c = body.putObject("created");
        c.put("author", created.author());
        c.put("hostname", created.hostname());
        putNullable(c, "command", created.commandLine());
        c.put("timestamp", created.timestamp());
        return body;
    }

    private static int generationNumber(String text, int live, GenerationsMetadata metadata, Environment env) {
        if (text.equals("live")) {
            return live;
        }
        int n;
        try {
            n = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw HubException.invalid("generation '%s' is not a number or 'live'", text);
        }
        if (!metadata.generations().contains(n)) {
            throw HubException.notFound("environment '%s/%s' has no generation %d (it has 1 to %d)", env.owner(), env.name(),
                    n, metadata.totalGenerations());
        }
        return n;
    }

    private void history(Context ctx) {
        Environment env = readable(ctx);
        String text = environments.head(env.owner(), env.name()).text(GenerationsMetadata.FILE_NAME).orElseThrow();
        ObjectNode body = JSON.createObjectNode();
        try {
            body.set("history", JSON.readTree(text).get("history"));
        } catch (JsonProcessingException e) {
            throw HubException.invalid("metadata.json of %s/%s is not JSON: %s", env.owner(), env.name(), e.getOriginalMessage());
        }
        json(ctx, 200, body);
    }

    private void switchGeneration(Context ctx) {
        Principal p = writer(ctx);
        Environment env = existing(ctx.pathParam("owner"), ctx.pathParam("name"));
        GenerationsMetadata metadata = environments.metadata(env.owner(), env.name());
        int n = generationNumber(ctx.pathParam("generation"), metadata.liveGeneration().orElse(-1), metadata, env);
        environments.switchGeneration(env.owner(), env.name(), n, p.name());
        json(ctx, 200, summary(existing(env.owner(), env.name())));
    }

    // ---------------------------------------------------------------- bodies

    /** The summary of an environment: its live generation's systems, packages, variables and scripts. */
    ObjectNode summary(Environment env) {
        ObjectNode body = JSON.createObjectNode();
        body.put("owner", env.owner());
        body.put("name", env.name());
        body.put("visibility", env.visibility().label());
        GenerationsMetadata metadata = environments.metadata(env.owner(), env.name());
        int live = metadata.liveGeneration().orElse(-1);
        if (live < 1) {
            body.putNull("live_generation");
            return times(body, env);
        }
        body.put("live_generation", live);
        Generation g = environments.generation(env.owner(), env.name(), live);
        Manifest m = g.manifest();
        ArrayNode systems = body.putArray("systems");
        m.systems().forEach(systems::add);
        ArrayNode packages = body.putArray("packages");
        for (Map.Entry<String, InstallEntry> e : m.install().entrySet()) {
            packages.add(pkg(e.getKey(), e.getValue(), g.lock()));
        }
        ObjectNode vars = body.putObject("vars");
        m.vars().forEach(vars::put);
        ObjectNode hook = body.putObject("hook");
        putNullable(hook, "on_activate", m.hook().onActivate());
        ObjectNode profile = body.putObject("profile");
        putNullable(profile, "common", m.profile().common());
        putNullable(profile, "bash", m.profile().bash());
        putNullable(profile, "zsh", m.profile().zsh());
        putNullable(profile, "fish", m.profile().fish());
        putNullable(profile, "tcsh", m.profile().tcsh());
        return times(body, env);
    }

    private static ObjectNode times(ObjectNode body, Environment env) {
        body.put("created_at", env.createdAt().toString());
        body.put("updated_at", env.updatedAt().toString());
        return body;
    }

    /** One package of the summary: as the manifest asks for it, with the version and systems the lock has. */
    private static ObjectNode pkg(String id, InstallEntry entry, Lockfile lock) {
        ObjectNode p = JSON.createObjectNode();
        p.put("install_id", id);
        String pkgPath = switch (entry) {
            case InstallEntry.Catalog c -> c.pkgPath();
            case InstallEntry.Flake f -> f.flake();
            case InstallEntry.StorePathEntry s -> s.storePath();
        };
        p.put("pkg_path", pkgPath);
        String version = null;
        Set<String> systems = new TreeSet<>();
        if (lock != null) {
            for (LockedPackage l : lock.packages()) {
                if (l.installId().equals(id)) {
                    systems.add(l.system());
                    if (version == null && l instanceof LockedPackage.Catalog c) {
                        version = c.version();
                    }
                }
            }
        }
        putNullable(p, "version", version);
        ArrayNode s = p.putArray("systems");
        systems.forEach(s::add);
        return p;
    }

    private static void putNullable(ObjectNode o, String key, String value) {
        if (value == null) {
            o.putNull(key);
        } else {
            o.put(key, value);
        }
    }

    private static void json(Context ctx, int status, ObjectNode body) {
        ctx.status(status).contentType("application/json").result(body.toString());
    }
}
