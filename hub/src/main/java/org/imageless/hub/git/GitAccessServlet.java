package org.imageless.hub.git;

import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jgit.errors.RepositoryNotFoundException;
import org.eclipse.jgit.http.server.GitServlet;
import org.eclipse.jgit.http.server.resolver.AsIsFileService;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.eclipse.jgit.transport.ReceivePack;
import org.eclipse.jgit.transport.UploadPack;
import org.imageless.hub.Hub;
import org.imageless.hub.HubException;
import org.imageless.hub.account.Names;
import org.imageless.hub.auth.Authentication;
import org.imageless.hub.auth.Principal;
import org.imageless.hub.auth.Visibility;
import org.imageless.hub.environment.Environments;
import org.imageless.hub.environment.FloxmetaStore;
import org.imageless.hub.server.ErrorMapping;
import org.imageless.hub.server.Requests;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The door in front of JGit. It accepts only the smart-HTTP paths of {@code /git/<owner>/floxmeta}
 * ({@code info/refs?service=…}, {@code git-upload-pack}, {@code git-receive-pack}; JGit's dumb-HTTP
 * file serving is off, it would hand out private objects), authenticates the caller (HTTP Basic
 * with the token as password, or bearer) and applies the access rule before handing the request
 * to JGit with the caller attached:
 * <ul>
 *   <li>push: at least writer of the owner; without usable credentials 401 with
 *       {@code WWW-Authenticate: Basic realm="floxhub"}, so git asks for or sends them;
 *   <li>read: anyone; members (reader and up) see every branch, others only public environments'
 *       ({@link VisibleRefs}). An expired token reads as anonymous with a warning header; a
 *       malformed, unknown or revoked one is 401.
 * </ul>
 * Note that git sends credentials only after a 401, and reads never answer 401 (anonymous may read
 * public environments), so a member who wants private branches sends the token up front
 * ({@code git -c http.extraHeader="Authorization: Bearer <token>"}).
 */
final class GitAccessServlet extends HttpServlet {

    private static final Logger REQUESTS = LoggerFactory.getLogger("floxhub.request");
    private static final Pattern PATH = Pattern.compile("/([^/]+)/floxmeta(?:\\.git)?/(info/refs|git-upload-pack|git-receive-pack)");
    private static final String PRINCIPAL = "floxhub.git.principal";
    private static final String OWNER = "floxhub.git.owner";
    private static final String LOG_NAME = "floxhub.git.logName";
    private static final String UPLOAD = "git-upload-pack";
    private static final String RECEIVE = "git-receive-pack";

    private final transient Hub hub;
    private final transient java.util.function.BiPredicate<Principal, org.imageless.nix.store.StorePath> mayReference;
    private final transient GitServlet git = new GitServlet();

    GitAccessServlet(Hub hub, java.util.function.BiPredicate<Principal, org.imageless.nix.store.StorePath> mayReference) {
        this.hub = hub;
        this.mayReference = mayReference;
    }

    @Override
    public void init(ServletConfig config) throws ServletException {
        super.init(config);
        Environments environments = hub.environments();
        FloxmetaStore store = environments.store();
        git.setAsIsFileService(AsIsFileService.DISABLED);
        git.setRepositoryResolver((req, name) -> {
            String owner = (String) req.getAttribute(OWNER);
            boolean push = req.getAttribute(PRINCIPAL) != null && isPush(req);
            // only an authorized pusher gets here with push = true, so only writers create repositories
            return push ? store.openOrCreate(owner) : store.open(owner)
                    .orElseThrow(() -> new RepositoryNotFoundException(owner + "/floxmeta"));
        });
        git.setUploadPackFactory((req, repo) -> {
            UploadPack up = new UploadPack(repo);
            Principal p = (Principal) req.getAttribute(PRINCIPAL);
            String owner = (String) req.getAttribute(OWNER);
            if (!hub.access().canRead(p, owner, Visibility.PRIVATE)) {
                up.setRefFilter(new VisibleRefs(environments.publicNames(owner)));
            }
            // the default request policy stays: wants must be reachable from the (filtered) advertised refs
            return up;
        });
        git.setReceivePackFactory((req, repo) -> {
            Principal p = (Principal) req.getAttribute(PRINCIPAL);
            String owner = (String) req.getAttribute(OWNER);
            ReceivePack rp = new ReceivePack(repo);
            // deletions and non-fast-forwards reach the validation, which refuses them with a message
            rp.setAllowDeletes(true);
            rp.setAllowNonFastForwards(true);
            rp.setAllowCreates(true);
            rp.setCheckReceivedObjects(true);
            rp.setRefLogIdent(new PersonIdent(p.name(), p.name() + "@floxhub"));
            rp.setPreReceiveHook(new PushValidation(owner, path -> mayReference.test(p, path)));
            rp.setPostReceiveHook((pack, commands) -> {
                for (ReceiveCommand c : commands) {
                    if (c.getResult() == ReceiveCommand.Result.OK) {
                        environments.recordPush(owner, PushValidation.environment(c.getRefName()));
                    }
                }
            });
            return rp;
        });
        git.init(config);
    }

    @Override
    public void destroy() {
        git.destroy();
        super.destroy();
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        long start = System.nanoTime();
        try {
            if (authorize(req, resp)) {
                git.service(req, resp);
            }
        } finally {
            Object who = req.getAttribute(LOG_NAME);
            REQUESTS.info("{} {} {} {}ms {}", req.getMethod(), req.getRequestURI(), resp.getStatus(),
                    String.format("%.1f", (System.nanoTime() - start) / 1e6), who == null ? "-" : who);
        }
    }

    /** Attaches owner and principal to the request (true), or answers it (false). */
    private boolean authorize(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getPathInfo() == null ? "" : req.getPathInfo();
        Matcher m = PATH.matcher(path);
        if (!m.matches() || (m.group(2).equals("info/refs") && service(req) == null)) {
            fail(resp, 404, "not a git smart-HTTP path of this hub: repositories are /git/<owner>/floxmeta "
                    + "(dumb HTTP is not served)");
            return false;
        }
        String owner = m.group(1);
        try {
            Names.owner(owner);
        } catch (HubException e) {
            fail(resp, 404, e.getMessage());
            return false;
        }
        Authentication auth = hub.authenticator().authenticate(req.getHeader("Authorization"));
        req.setAttribute(LOG_NAME, auth.logName());
        Principal principal;
        try {
            if (isPush(req)) {
                principal = auth.principal();
                hub.access().checkWrite(principal, owner);
            } else {
                principal = auth.principalOrAnonymous();
                String warning = auth.warning();
                if (warning != null) {
                    resp.setHeader(Requests.WARNING_HEADER, Requests.warningValue(warning));
                }
            }
        } catch (HubException e) {
            if (e.kind() == HubException.Kind.UNAUTHENTICATED) {
                resp.setHeader("WWW-Authenticate", ErrorMapping.CHALLENGE);
            }
            fail(resp, ErrorMapping.status(e.kind()), e.getMessage());
            return false;
        }
        req.setAttribute(OWNER, owner);
        req.setAttribute(PRINCIPAL, principal);
        req.setAttribute(LOG_NAME, principal.name());
        return true;
    }

    private static boolean isPush(HttpServletRequest req) {
        String path = req.getPathInfo();
        return path.endsWith("/" + RECEIVE) || RECEIVE.equals(service(req));
    }

    private static String service(HttpServletRequest req) {
        String s = req.getParameter("service");
        return UPLOAD.equals(s) || RECEIVE.equals(s) ? s : null;
    }

    private static void fail(HttpServletResponse resp, int status, String message) throws IOException {
        resp.setStatus(status);
        resp.setContentType("text/plain; charset=UTF-8");
        resp.getOutputStream().write((message + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
