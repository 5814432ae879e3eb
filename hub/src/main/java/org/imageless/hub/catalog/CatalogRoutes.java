package org.imageless.hub.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;
import org.imageless.environment.manifest.InstallEntry;
import org.imageless.hub.HubException;
import org.imageless.hub.auth.Principal;
import org.imageless.hub.auth.Visibility;
import org.imageless.hub.server.ErrorMapping;
import org.imageless.hub.server.Requests;
import org.imageless.hub.server.Routes;
import org.imageless.nix.NixException;
import org.imageless.nix.store.StorePath;

/**
 * The catalog's REST API (JSON; reads anonymous or with a token, writes with a writer's token):
 * <ul>
 *   <li>{@code POST /api/v1/catalog/{owner}/packages/{name}/versions}: publish a version</li>
 *   <li>{@code GET /api/v1/catalog/{owner}/packages/{name}}: the package and its versions, newest first</li>
 *   <li>{@code PATCH /api/v1/catalog/{owner}/packages/{name}}: {@code {"visibility": "public"|"private"}}</li>
 *   <li>{@code GET /api/v1/catalog/{owner}/packages/{name}/versions/{version}}: one version</li>
 *   <li>{@code GET /api/v1/catalog/search?q=TERM[&limit=N]}: readable packages with their latest version</li>
 *   <li>{@code POST /api/v1/catalog/resolve}: install entries → Flox lock entries per system</li>
 * </ul>
 * Request bodies are strict: an unknown key is a 400 naming it.
 */
public final class CatalogRoutes implements Routes {

    static final int DEFAULT_SEARCH_LIMIT = 50;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Catalog catalog;
    private final Resolver resolver;

    public CatalogRoutes(Catalog catalog, Resolver resolver) {
        this.catalog = catalog;
        this.resolver = resolver;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/api/v1/catalog/search", this::search);
        routes.post("/api/v1/catalog/resolve", this::resolve);
        routes.get("/api/v1/catalog/{owner}/packages/{name}", ctx -> {
            CatalogPackage p = catalog.show(Requests.principalOrAnonymous(ctx), pkgPath(ctx));
            ObjectNode body = JSON.createObjectNode();
            body.put("pkg_path", p.pkgPath().toString());
            body.put("owner", p.pkgPath().owner());
            body.put("name", p.pkgPath().name());
            body.put("visibility", p.visibility().label());
            ArrayNode versions = body.putArray("versions");
            p.versions().forEach(v -> versions.add(version(v)));
            json(ctx, 200, body);
        });
        routes.patch("/api/v1/catalog/{owner}/packages/{name}", ctx -> {
            ObjectNode request = object(ctx.body(), "request", Set.of("visibility"));
            Visibility visibility = Visibility.parse(text(request, "visibility", true));
            PkgPath pkgPath = pkgPath(ctx);
            catalog.setVisibility(Requests.principal(ctx), pkgPath, visibility);
            ObjectNode body = JSON.createObjectNode();
            body.put("pkg_path", pkgPath.toString());
            body.put("visibility", visibility.label());
            json(ctx, 200, body);
        });
        routes.post("/api/v1/catalog/{owner}/packages/{name}/versions", ctx -> {
            Principal p = Requests.principal(ctx);
            PackageVersion v = catalog.publish(p, pkgPath(ctx), publication(ctx.body()));
            ObjectNode body = version(v);
            body.put("pkg_path", v.pkgPath().toString());
            json(ctx, 201, body);
        });
        routes.get("/api/v1/catalog/{owner}/packages/{name}/versions/{version}", ctx -> {
            PackageVersion v = catalog.version(Requests.principalOrAnonymous(ctx), pkgPath(ctx), ctx.pathParam("version"));
            ObjectNode body = version(v);
            body.put("pkg_path", v.pkgPath().toString());
            json(ctx, 200, body);
        });
    }

    private static PkgPath pkgPath(Context ctx) {
        return new PkgPath(ctx.pathParam("owner"), ctx.pathParam("name"));
    }

    private void search(Context ctx) {
        String q = ctx.queryParam("q");
        int limit = DEFAULT_SEARCH_LIMIT;
        String l = ctx.queryParam("limit");
        if (l != null) {
            try {
                limit = Integer.parseInt(l);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > 1000) {
                throw HubException.invalid("limit '%s' is not a number from 1 to 1000", l);
            }
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("query", q == null ? "" : q);
        ArrayNode results = body.putArray("results");
        for (Catalog.Hit hit : catalog.search(Requests.principalOrAnonymous(ctx), q, limit)) {
            ObjectNode r = results.addObject();
            r.put("pkg_path", hit.pkgPath().toString());
            r.put("owner", hit.pkgPath().owner());
            r.put("name", hit.pkgPath().name());
            r.put("visibility", hit.visibility().label());
            r.put("version", hit.latest().version());
            r.put("description", hit.latest().description());
            r.put("license", hit.latest().license());
            ArrayNode systems = r.putArray("systems");
            hit.latest().systems().keySet().forEach(systems::add);
        }
        json(ctx, 200, body);
    }

    private void resolve(Context ctx) {
        Principal p = Requests.principalOrAnonymous(ctx);
        ObjectNode request = object(ctx.body(), "request", Set.of("systems", "install"));
        List<String> systems = strings(request, "systems", true);
        JsonNode installNode = request.get("install");
        if (!(installNode instanceof ObjectNode install)) {
            throw HubException.invalid("'install' must be an object of install id → {\"pkg-path\": \"owner/name\", …}");
        }
        SequencedMap<String, InstallEntry.Catalog> entries = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = install.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String where = "install." + e.getKey();
            ObjectNode entry = object(e.getValue(), where, Set.of("pkg-path", "version", "pkg-group", "systems", "priority", "outputs"));
            JsonNode priority = entry.get("priority");
            if (priority != null && !priority.isNull() && !(priority.canConvertToLong() && priority.isIntegralNumber() && priority.asLong() >= 0)) {
                throw HubException.invalid("'%s.priority' must be a non-negative integer", where);
            }
            entries.put(e.getKey(), new InstallEntry.Catalog(text(entry, "pkg-path", true, where), text(entry, "version", false, where),
                    text(entry, "pkg-group", false, where), strings(entry, "systems", false, where),
                    priority == null || priority.isNull() ? null : priority.asLong(), null));
        }
        Resolver.Resolution r = resolver.resolve(p, entries, systems);
        ObjectNode body = JSON.createObjectNode();
        int status = 200;
        if (!r.failures().isEmpty()) {
            HubException.Kind kind = r.failures().getFirst().kind();
            status = ErrorMapping.status(kind);
            body.put("error", String.join("\n", r.failures().stream().map(Resolver.Failure::message).toList()));
            body.put("kind", kind.name().toLowerCase(Locale.ROOT));
            ArrayNode errors = body.putArray("errors");
            for (Resolver.Failure f : r.failures()) {
                ObjectNode o = errors.addObject();
                o.put("install_id", f.installId());
                o.put("pkg_path", f.pkgPath());
                o.put("system", f.system());
                o.put("kind", f.kind().name().toLowerCase(Locale.ROOT));
                o.put("message", f.message());
            }
        }
        ArrayNode packages = body.putArray("packages");
        r.packages().forEach(l -> packages.add(l.lockEntry()));
        json(ctx, status, body);
    }

    static ObjectNode version(PackageVersion v) {
        ObjectNode o = JSON.createObjectNode();
        o.put("version", v.version());
        o.put("description", v.description());
        o.put("license", v.license());
        o.put("unfree", v.unfree());
        o.put("broken", v.broken());
        o.put("published_at", v.publishedAt().toString());
        o.put("publisher", v.publisher());
        ObjectNode systems = o.putObject("systems");
        v.systems().forEach((system, outputs) -> {
            ObjectNode s = systems.putObject(system);
            ObjectNode outs = s.putObject("outputs");
            outputs.outputs().forEach((name, path) -> outs.put(name, path.toString()));
            ArrayNode toInstall = s.putArray("outputs_to_install");
            outputs.outputsToInstall().forEach(toInstall::add);
        });
        return o;
    }

    /**
     * The publish body: {@code {"version", "description"?, "license"?, "unfree"?, "broken"?,
     * "systems": {SYSTEM: {"outputs": {NAME: STORE_PATH}, "outputs_to_install"?: [NAME]}}}};
     * {@code outputs_to_install} defaults to {@code ["out"]} when there is an {@code out}, else all outputs.
     */
    static Publication publication(String json) {
        ObjectNode request = object(json, "request", Set.of("version", "description", "license", "unfree", "broken", "systems"));
        JsonNode systemsNode = request.get("systems");
        SequencedMap<String, SystemOutputs> systems = new LinkedHashMap<>();
        if (systemsNode != null && !systemsNode.isNull()) {
            if (!(systemsNode instanceof ObjectNode so)) {
                throw HubException.invalid("'systems' must be an object of system → {\"outputs\": {…}}");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = so.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String where = "systems." + e.getKey();
                ObjectNode s = object(e.getValue(), where, Set.of("outputs", "outputs_to_install"));
                if (!(s.get("outputs") instanceof ObjectNode outs)) {
                    throw HubException.invalid("'%s.outputs' must be an object of output name → store path", where);
                }
                SequencedMap<String, StorePath> outputs = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> o = outs.fields(); o.hasNext(); ) {
                    Map.Entry<String, JsonNode> out = o.next();
                    if (!out.getValue().isTextual()) {
                        throw HubException.invalid("'%s.outputs.%s' must be a store path string", where, out.getKey());
                    }
                    try {
                        outputs.put(out.getKey(), StorePath.parse(out.getValue().asText()));
                    } catch (NixException bad) {
                        throw HubException.invalid("'%s.outputs.%s': %s", where, out.getKey(), bad.getMessage());
                    }
                }
                List<String> toInstall = strings(s, "outputs_to_install", false, where);
                if (toInstall == null) {
                    toInstall = outputs.containsKey("out") ? List.of("out") : List.copyOf(outputs.keySet());
                }
                systems.put(e.getKey(), new SystemOutputs(outputs, toInstall));
            }
        }
        return new Publication(text(request, "version", true), text(request, "description", false),
                text(request, "license", false), bool(request, "unfree"), bool(request, "broken"), systems);
    }

    private static ObjectNode object(String json, String what, Set<String> keys) {
        JsonNode node;
        try {
            node = JSON.readTree(json == null || json.isBlank() ? "null" : json);
        } catch (JsonProcessingException e) {
            throw HubException.invalid("the %s is not valid JSON: %s", what, e.getOriginalMessage());
        }
        return object(node, what, keys);
    }

    private static ObjectNode object(JsonNode node, String what, Set<String> keys) {
        if (!(node instanceof ObjectNode o)) {
            throw HubException.invalid("the %s must be a JSON object", what);
        }
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!keys.contains(key)) {
                throw HubException.invalid("unknown key '%s' in %s: expected %s", key, what,
                        keys.stream().sorted().toList());
            }
        }
        return o;
    }

    private static String text(ObjectNode o, String key, boolean required) {
        return text(o, key, required, null);
    }

    /** The value at {@code key}, or null when absent and not required; {@code where} prefixes the key in errors. */
    private static JsonNode field(ObjectNode o, String key, boolean required, String where) {
        JsonNode n = o.get(key);
        if (n == null || n.isNull()) {
            if (required) {
                throw HubException.invalid("'%s' is required", where == null ? key : where + "." + key);
            }
            return null;
        }
        return n;
    }

    private static String text(ObjectNode o, String key, boolean required, String where) {
        JsonNode n = field(o, key, required, where);
        String name = where == null ? key : where + "." + key;
        if (n == null) {
            return null;
        }
        if (!n.isTextual()) {
            throw HubException.invalid("'%s' must be a string", name);
        }
        return n.asText();
    }

    private static boolean bool(ObjectNode o, String key) {
        JsonNode n = o.get(key);
        if (n == null || n.isNull()) {
            return false;
        }
        if (!n.isBoolean()) {
            throw HubException.invalid("'%s' must be true or false", key);
        }
        return n.asBoolean();
    }

    private static List<String> strings(ObjectNode o, String key, boolean required) {
        return strings(o, key, required, null);
    }

    private static List<String> strings(ObjectNode o, String key, boolean required, String where) {
        JsonNode n = field(o, key, required, where);
        String name = where == null ? key : where + "." + key;
        if (n == null) {
            return null;
        }
        if (!n.isArray()) {
            throw HubException.invalid("'%s' must be a list of strings", name);
        }
        List<String> result = new ArrayList<>();
        for (JsonNode item : n) {
            if (!item.isTextual()) {
                throw HubException.invalid("'%s' must be a list of strings", name);
            }
            result.add(item.asText());
        }
        return result;
    }

    private static void json(Context ctx, int status, ObjectNode body) {
        ctx.status(status).contentType("application/json").result(body.toString());
    }
}
