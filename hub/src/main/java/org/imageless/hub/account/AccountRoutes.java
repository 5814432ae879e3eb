package org.imageless.hub.account;

import io.javalin.config.RoutesConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.imageless.hub.Hub;
import org.imageless.hub.HubException;
import org.imageless.hub.auth.Principal;
import org.imageless.hub.server.Requests;
import org.imageless.hub.server.Routes;

/**
 * {@code GET /api/v1/whoami}: the caller and their memberships (requires a token).
 * {@code GET /api/v1/owners/{owner}}: whether an owner exists, its kind and the caller's role there
 * (anonymous allowed).
 */
public final class AccountRoutes implements Routes {

    private final Hub hub;

    public AccountRoutes(Hub hub) {
        this.hub = hub;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/api/v1/whoami", ctx -> ctx.json(whoami(Requests.principal(ctx))));
        routes.get("/api/v1/owners/{owner}", ctx -> {
            Principal p = Requests.principalOrAnonymous(ctx);
            String name = ctx.pathParam("owner");
            Owner owner = hub.accounts().owner(name).orElseThrow(() -> HubException.notFound("no user or organisation is named '%s'", name));
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", owner.name());
            body.put("kind", owner.kind() == Owner.Kind.USER ? "user" : "org");
            body.put("role", hub.access().role(p, owner.name()).label());
            ctx.json(body);
        });
    }

    private Map<String, Object> whoami(Principal p) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", p.name());
        switch (p) {
            case Principal.User u -> {
                body.put("kind", "user");
                List<OrgRole> orgs = hub.accounts().memberships(u.name()).stream()
                        .map(m -> new OrgRole(m.org(), m.role().label())).toList();
                body.put("memberships", orgs);
            }
            case Principal.ServiceAccount s -> {
                body.put("kind", "service_account");
                body.put("memberships", List.of(new OrgRole(s.org(), s.role().label())));
            }
            case Principal.Anonymous a -> body.put("kind", "anonymous");
        }
        return body;
    }

    /** One membership in a response; a record keeps the JSON field order stable ({@code Map.of} does not). */
    record OrgRole(String org, String role) {}
}
