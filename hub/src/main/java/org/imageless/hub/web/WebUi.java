package org.imageless.hub.web;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.util.List;
import java.util.Optional;
import org.imageless.hub.Hub;
import org.imageless.hub.HubException;
import org.imageless.hub.account.Membership;
import org.imageless.hub.activation.Activations;
import org.imageless.hub.auth.Expiry;
import org.imageless.hub.auth.IssuedToken;
import org.imageless.hub.auth.TokenInfo;
import org.imageless.hub.auth.TokenKind;
import org.imageless.hub.device.DeviceCodes;
import org.imageless.hub.server.ErrorMapping;
import org.imageless.hub.server.Routes;
import org.imageless.hub.web.WebSessions.Visitor;
import org.imageless.nix.NixException;

/**
 * The server-rendered web UI; plain HTML forms, no JavaScript. Pages: {@code /} (home),
 * {@code /signin}, {@code /signout}, {@code /envs/{owner}}, {@code /envs/{owner}/{name}[/{tab}]},
 * {@code /device} (approve a device-code login), {@code /tokens}. A failure is a page with the
 * status of its kind ({@link ErrorMapping#status}) and the message that says why.
 */
final class WebUi implements Routes {

    private final Hub hub;
    private final WebSessions sessions;
    private final EnvironmentPages environments;
    private final DeviceCodes deviceCodes;

    WebUi(Hub hub, Activations activations, DeviceCodes deviceCodes) {
        this.hub = hub;
        this.sessions = new WebSessions(hub);
        this.environments = new EnvironmentPages(hub, activations);
        this.deviceCodes = deviceCodes;
    }

    @FunctionalInterface
    private interface Page {
        /** Renders the page (title, body), or redirects (then returns null). */
        Rendered render(Context ctx, Visitor v);
    }

    private record Rendered(String title, Html body) {}

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/", page((ctx, v) -> home(v)));
        routes.get("/signin", page((ctx, v) -> signInForm(v, ctx.queryParam("next"), null)));
        routes.post("/signin", page(this::signIn));
        routes.post("/signout", page((ctx, v) -> {
            sessions.checkCsrf(ctx);
            sessions.signOut(ctx, v);
            ctx.redirect("/");
            return null;
        }));
        routes.get("/envs/{owner}", page((ctx, v) -> new Rendered(ctx.pathParam("owner"),
                environments.owner(v, ctx.pathParam("owner")))));
        routes.get("/envs/{owner}/{name}", page((ctx, v) -> environment(ctx, v, "packages")));
        routes.get("/envs/{owner}/{name}/{tab}", page((ctx, v) -> environment(ctx, v, ctx.pathParam("tab"))));
        routes.get("/device", page(this::deviceForm));
        routes.post("/device", page(this::deviceAnswer));
        routes.get("/tokens", page((ctx, v) -> tokens(requireUser(ctx, v), null)));
        routes.post("/tokens", page(this::createToken));
        routes.post("/tokens/{id}/revoke", page(this::revokeToken));
    }

    private Handler page(Page page) {
        return ctx -> {
            Visitor v = sessions.visitor(ctx);
            ctx.header("Cache-Control", "no-store");
            ctx.header("X-Frame-Options", "DENY");
            ctx.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
            Rendered r;
            try {
                r = page.render(ctx, v);
            } catch (HubException e) {
                error(ctx, v, ErrorMapping.status(e.kind()), e.getMessage());
                return;
            } catch (NixException e) {
                error(ctx, v, ErrorMapping.status(e.kind()), e.getMessage());
                return;
            }
            if (r != null) {
                ctx.html(Layout.page(v, r.title(), r.body()));
            }
        };
    }

    private static void error(Context ctx, Visitor v, int status, String message) {
        String title = switch (status) {
            case 401 -> "Sign in required";
            case 403 -> "Access denied";
            case 404 -> "Not found";
            case 409 -> "Conflict";
            default -> status >= 500 ? "Hub error" : "Bad request";
        };
        Html signIn = Html.when(status == 401 && !v.signedIn(), Html.of(
                "<p><a href=\"/signin?next=%s\" id=\"sign-in-to-continue\">Sign in</a> to continue.</p>",
                Layout.url(ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString()))));
        ctx.status(status).html(Layout.page(v, title,
                Html.of("<h1>%s</h1><p class=\"error\" id=\"reason\">%s</p>%s", title, message, signIn)));
    }

    private Rendered home(Visitor v) {
        if (!v.signedIn()) {
            return new Rendered("Home", Html.of("""
                    <h1>FloxHub</h1><p>Environments, packages and the nodes that run them.</p>
                    <p><a href="/signin">Sign in</a> to see your environments and tokens.
                    Public environments are at <code>/envs/&lt;owner&gt;</code>.</p>"""));
        }
        List<Membership> orgs = hub.accounts().memberships(v.name());
        Html owners = Html.of("<li><a href=\"/envs/%s\">%s</a> (you)</li>%s", v.name(), v.name(),
                Html.join(orgs, m -> Html.of("<li><a href=\"/envs/%s\">%s</a> (%s)</li>", m.org(), m.org(), m.role().label())));
        return new Rendered("Home", Html.of("""
                <h1>Welcome, %s</h1><h2>Owners</h2><ul id="owners">%s</ul>
                <p><a href="/tokens">Your tokens</a> · <a href="/device">Approve a device login</a></p>""", v.name(), owners));
    }

    private Rendered signInForm(Visitor v, String next, String error) {
        String target = safeNext(next);
        Html why = Html.when(target.startsWith("/device"), Html.of(
                "<p class=\"notice\">Sign in to approve the login of your device.</p>"));
        return new Rendered("Sign in", Html.of("""
                <h1>Sign in</h1>%s%s
                <form method="post" action="/signin">%s<input type="hidden" name="next" value="%s">
                <label>User name <input name="user" id="user" autocomplete="username" required></label>
                <label>Password <input type="password" name="password" id="password" autocomplete="current-password" required></label>
                <button type="submit" id="sign-in-submit">Sign in</button></form>""",
                why, Html.when(error != null, Html.of("<p class=\"error\" id=\"reason\">%s</p>", String.valueOf(error))),
                Layout.csrf(v), target));
    }

    private Rendered signIn(Context ctx, Visitor v) {
        sessions.checkCsrf(ctx);
        String next = safeNext(ctx.formParam("next"));
        try {
            sessions.signIn(ctx, ctx.formParam("user"), ctx.formParam("password"));
        } catch (HubException e) {
            ctx.status(401);
            return signInForm(v, next, e.getMessage());
        }
        ctx.redirect(next);
        return null;
    }

    /** Only paths on this hub: never another site (open redirect). */
    static String safeNext(String next) {
        if (next == null || !next.startsWith("/") || next.startsWith("//") || next.contains("\\")
                || next.chars().anyMatch(Character::isISOControl)) {
            return "/";
        }
        return next;
    }

    private Rendered environment(Context ctx, Visitor v, String tab) {
        String owner = ctx.pathParam("owner");
        String name = ctx.pathParam("name");
        return new Rendered(owner + "/" + name, environments.environment(v, owner, name, tab));
    }

    private Visitor requireUser(Context ctx, Visitor v) {
        if (!v.signedIn()) {
            throw HubException.unauthenticated("this page shows your own tokens: sign in first");
        }
        return v;
    }

    private Rendered deviceForm(Context ctx, Visitor v) {
        String code = ctx.queryParam("code");
        if (!v.signedIn()) {
            ctx.redirect("/signin?next=" + Layout.url("/device" + (code == null ? "" : "?code=" + code)));
            return null;
        }
        Optional<DeviceCodes.Pending> pending = Optional.empty();
        String problem = null;
        if (code != null && !code.isBlank()) {
            try {
                pending = Optional.of(deviceCodes.pending(code));
            } catch (HubException e) {
                ctx.status(ErrorMapping.status(e.kind()));
                problem = e.getMessage();
            }
        }
        return new Rendered("Device login", deviceFormBody(v, code, pending, problem));
    }

    private static Html deviceFormBody(Visitor v, String code, Optional<DeviceCodes.Pending> pending, String problem) {
        Html request = pending.map(p -> Html.of("""
                <p class="notice" id="device-request"><strong>%s</strong> asks to sign in as <strong>%s</strong>
                (requested %s, valid until %s). Approve only if you started it, with code <code>%s</code>.</p>""",
                p.clientName(), v.name(), Layout.time(p.created()), Layout.time(p.expires()), p.userCode())).orElse(Html.EMPTY);
        return Html.of("""
                <h1>Device login</h1>
                <p>Enter the code that <code>flox auth login</code> shows. Approving gives that device a login token
                for <strong>%s</strong>, valid 30 days.</p>%s%s
                <form method="post" action="/device">%s
                <label>Code <input name="code" id="code" value="%s" placeholder="BCDF-GHJK" autocomplete="off" required></label>
                <button type="submit" name="action" value="approve" id="approve">Approve</button>
                <button type="submit" name="action" value="deny" id="deny">Deny</button></form>""",
                v.name(), Html.when(problem != null, Html.of("<p class=\"error\" id=\"reason\">%s</p>", String.valueOf(problem))),
                request, Layout.csrf(v), code == null ? "" : code);
    }

    private Rendered deviceAnswer(Context ctx, Visitor v) {
        sessions.checkCsrf(ctx);
        requireUser(ctx, v);
        String code = ctx.formParam("code");
        String action = ctx.formParam("action");
        try {
            if ("deny".equals(action)) {
                DeviceCodes.Pending p = deviceCodes.deny(code);
                return new Rendered("Device login denied", Html.of(
                        "<h1>Login denied</h1><p class=\"notice\" id=\"device-result\">The login with code %s was denied; "
                                + "the device gets no token.</p>", p.userCode()));
            }
            DeviceCodes.Pending p = deviceCodes.approve(code, v.name());
            return new Rendered("Device login approved", Html.of(
                    "<h1>Device approved</h1><p class=\"notice\" id=\"device-result\">%s is signed in as %s with code %s: "
                            + "return to your terminal, it finishes within a few seconds.</p>", p.clientName(), v.name(), p.userCode()));
        } catch (HubException e) {
            ctx.status(ErrorMapping.status(e.kind()));
            return new Rendered("Device login", deviceFormBody(v, code, Optional.empty(), e.getMessage()));
        }
    }

    private Rendered tokens(Visitor v, IssuedToken created) {
        List<TokenInfo> list = hub.tokens().listForUser(v.name());
        java.time.Instant now = hub.clock().instant();
        Html rows = Html.join(list, t -> {
            String state = t.revoked().isPresent() ? "revoked " + Layout.time(t.revoked().get())
                    : t.expiredAt(now) ? "expired" : "active";
            boolean active = state.equals("active");
            return Html.of("""
                    <tr id="token-%s"><td>%s%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class="state">%s</td><td>%s</td></tr>""",
                    t.id(), t.name(), Html.when(t.id().equals(v.sessionTokenId()), Html.of(" <span class=\"badge\">this browser</span>")),
                    t.kind().label(), t.id(), Layout.time(t.created()), t.expires().map(Layout::time).orElse("never"),
                    t.lastUsed().map(Layout::time).orElse("never"), state,
                    Html.when(active, Html.of("""
                            <form method="post" action="/tokens/%s/revoke">%s<button type="submit" id="revoke-%s">Revoke</button></form>""",
                            t.id(), Layout.csrf(v), t.id())));
        });
        Html shown = created == null ? Html.EMPTY : Html.of("""
                <div class="notice"><p>Token <strong>%s</strong> created. Copy it now: it is shown only once.</p>
                <pre id="new-token">%s</pre></div>""", created.info().name(), created.secret());
        return new Rendered("Tokens", Html.of("""
                <h1>Your tokens</h1>%s
                <table id="tokens"><thead><tr><th>Name</th><th>Kind</th><th>Id</th><th>Created</th><th>Expires</th><th>Last used</th>
                <th>State</th><th></th></tr></thead><tbody>%s</tbody></table>
                <h2>New personal token</h2>
                <form method="post" action="/tokens">%s
                <label>Name <input name="name" id="token-name" maxlength="100" required></label>
                <label>Expires <select name="expires" id="token-expires"><option value="30d">in 30 days</option>
                <option value="90d" selected>in 90 days</option><option value="1y">in a year</option><option value="never">never</option></select></label>
                <button type="submit" id="create-token">Create token</button></form>""",
                shown, rows, Layout.csrf(v)));
    }

    private Rendered createToken(Context ctx, Visitor v) {
        sessions.checkCsrf(ctx);
        requireUser(ctx, v);
        String name = ctx.formParam("name");
        IssuedToken token = hub.tokens().createPersonal(v.name(), name == null ? "" : name.strip(),
                Expiry.parse(Optional.ofNullable(ctx.formParam("expires")).orElse("90d")));
        ctx.status(201);
        return tokens(v, token);
    }

    private Rendered revokeToken(Context ctx, Visitor v) {
        sessions.checkCsrf(ctx);
        requireUser(ctx, v);
        String id = ctx.pathParam("id");
        TokenInfo info = hub.tokens().byId(id)
                .filter(t -> t.kind() != TokenKind.SERVICE_ACCOUNT && t.holder().equals(v.name()))
                .orElseThrow(() -> HubException.notFound("you have no token with the id '%s'", id));
        hub.tokens().revoke(info.id());
        if (info.id().equals(v.sessionTokenId())) {
            ctx.redirect("/signin");
            return null;
        }
        ctx.redirect("/tokens");
        return null;
    }
}
