package org.imageless.hub.activation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.RoutesConfig;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.imageless.environment.EnvironmentRef;
import org.imageless.environment.activation.ActivationMode;
import org.imageless.hub.Hub;
import org.imageless.hub.HubException;
import org.imageless.hub.auth.Principal;
import org.imageless.hub.environment.Environment;
import org.imageless.hub.server.Requests;
import org.imageless.hub.server.Routes;
import org.imageless.nix.NixException;

/**
 * {@code PUT /api/v1/events}: activation reports from nodes, one JSON object or an array of them
 * (contract C2). The caller must be able to read each environment (anonymous is fine for public
 * ones). All reports of a request are checked before any is stored; the first bad one is a 400
 * naming its index and field. Answers {@code 202 {"accepted": n}}.
 */
public final class ActivationRoutes implements Routes {

    /** The most reports one request may carry. */
    static final int MAX_REPORTS = 1000;
    private static final Set<String> FIELDS = Set.of("environment", "generation", "node", "namespace", "pod",
            "container", "mode", "time");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Hub hub;
    private final Activations activations;

    public ActivationRoutes(Hub hub, Activations activations) {
        this.hub = hub;
        this.activations = activations;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.put("/api/v1/events", ctx -> {
            List<ActivationReport> reports = parse(ctx.body(), hub.clock().instant());
            Principal caller = Requests.principalOrAnonymous(ctx);
            Set<String> checked = new HashSet<>();
            for (int i = 0; i < reports.size(); i++) {
                ActivationReport r = reports.get(i);
                String owner = r.environment().owner();
                String name = r.environment().name();
                if (checked.add(owner + "/" + name)) {
                    Environment env = hub.environments().find(owner, name).orElseThrow(() -> HubException.notFound(
                            "environment '%s/%s' does not exist: push it first ('flox push -r %s/%s')", owner, name, owner, name));
                    caller = Requests.checkRead(ctx, hub.access(), owner, env.visibility());
                }
                var generations = hub.environments().metadata(owner, name).generations();
                if (!generations.contains(r.generation())) {
                    throw HubException.notFound("%senvironment '%s/%s' has no generation %d (it has %s)", where(reports.size(), i),
                            owner, name, r.generation(), generations.isEmpty() ? "none" : "1.." + generations.last());
                }
            }
            activations.record(reports, caller.name());
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("accepted", reports.size());
            ctx.status(202).json(body);
        });
    }

    /** The reports in {@code body}: one object or an array of objects. */
    static List<ActivationReport> parse(String body, Instant now) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw HubException.invalid("the body is not JSON (%s): send one report object or an array of them",
                    e.getOriginalMessage());
        }
        if (root == null || root.isMissingNode()) {
            throw HubException.invalid("the body is empty: send one report object or an array of them");
        }
        List<JsonNode> items = new ArrayList<>();
        if (root.isArray()) {
            root.forEach(items::add);
            if (items.isEmpty()) {
                throw HubException.invalid("the array of reports is empty: send at least one");
            }
            if (items.size() > MAX_REPORTS) {
                throw HubException.invalid("%d reports in one request: send at most %d", items.size(), MAX_REPORTS);
            }
        } else {
            items.add(root);
        }
        List<ActivationReport> reports = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            String where = where(root.isArray() ? items.size() : 1, i);
            try {
                reports.add(report(items.get(i), now));
            } catch (HubException e) {
                throw HubException.invalid("%s%s", where, e.getMessage());
            } catch (NixException e) {
                throw HubException.invalid("%s%s", where, e.getMessage());
            }
        }
        return reports;
    }

    private static String where(int count, int index) {
        return count > 1 ? "report " + index + ": " : "";
    }

    private static ActivationReport report(JsonNode node, Instant now) {
        if (!node.isObject()) {
            throw HubException.invalid("a report is a JSON object, not %s", node.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!FIELDS.contains(field)) {
                throw HubException.invalid("unknown field '%s': a report has environment, generation, node, namespace, pod, "
                        + "container, mode and time", field);
            }
        }
        EnvironmentRef env = EnvironmentRef.parse(text(node, "environment", true));
        if (env.generation().isPresent()) {
            throw HubException.invalid("environment '%s' has a generation: send 'owner/name' and the generation in 'generation'",
                    text(node, "environment", true));
        }
        JsonNode gen = node.get("generation");
        if (gen == null || gen.isNull()) {
            throw HubException.invalid("generation is missing: the number of the generation the container runs");
        }
        if (!gen.isIntegralNumber() || !gen.canConvertToInt()) {
            throw HubException.invalid("generation is %s: expected a positive integer", gen);
        }
        String mode = text(node, "mode", false);
        String time = text(node, "time", false);
        Instant at;
        try {
            at = time == null ? now : Instant.parse(time);
        } catch (DateTimeParseException e) {
            throw HubException.invalid("time '%s' is not an ISO-8601 UTC time such as 2026-11-22T06:00:00Z", time);
        }
        if (at.isAfter(now.plus(Activations.MAX_SKEW))) {
            throw HubException.invalid("time %s is more than %d minutes ahead of the hub's clock (%s): check the node's clock",
                    time, Activations.MAX_SKEW.toMinutes(), now);
        }
        return new ActivationReport(env, gen.intValue(), text(node, "node", true), text(node, "namespace", true),
                text(node, "pod", true), text(node, "container", true),
                mode == null ? ActivationMode.RUN : ActivationMode.parse(mode), at);
    }

    private static String text(JsonNode node, String field, boolean required) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw HubException.invalid("%s is missing: every report has environment, generation, node, namespace, pod "
                        + "and container", field);
            }
            return null;
        }
        if (!v.isTextual()) {
            throw HubException.invalid("%s is %s: expected a string", field, v);
        }
        return v.asText();
    }
}
