package org.imageless.hub;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.imageless.hub.testing.FloxmetaWorktree;
import org.imageless.hub.testing.GitCli;
import org.imageless.hub.testing.RunningHub;
import org.imageless.nix.store.StorePath;
import org.imageless.nix.testing.NixCacheFixture;
import org.imageless.nix.testing.RealNix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The access-control matrix of the issue, every cell asserted against the served hub with the real
 * peers: {caller} × {public, private environment} × {git read, git push (real git CLI), REST read,
 * switch (REST), cache read (the narinfo of the environment's locked store path over HTTP), upload
 * (real {@code nix copy --to} of a new path that references the environment's locked store path)}.
 *
 * <p>Callers: anonymous; rita (reader of acme); walt (writer); alice (owner); oscar (owner of another
 * organisation); alice's expired token; alice's revoked token. The environments are {@code acme/pub}
 * and {@code acme/priv}, each with two generations whose locks name their own store path.
 *
 * <p>Cells: {@code ok} = allowed; a status = refused with it; {@code no} = refused (git, which shows
 * no status: the branch is not visible, or the push is refused).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AccessMatrixTest {

    enum Caller { ANONYMOUS, READER, WRITER, OWNER, OTHER_ORG, EXPIRED, REVOKED }

    enum Op { GIT_READ, GIT_PUSH, REST_READ, SWITCH, CACHE_READ, UPLOAD }

    /** The expected table: one row per caller and visibility, one column per {@link Op}, in order. */
    static final String EXPECTED = """
            caller     visibility  git_read git_push rest_read switch cache_read upload
            anonymous  public      ok       no       ok        401    ok         401
            anonymous  private     no       no       401       401    404        401
            reader     public      ok       no       ok        403    ok         ok
            reader     private     ok       no       ok        403    ok         ok
            writer     public      ok       ok       ok        ok     ok         ok
            writer     private     ok       ok       ok        ok     ok         ok
            owner      public      ok       ok       ok        ok     ok         ok
            owner      private     ok       ok       ok        ok     ok         ok
            other_org  public      ok       no       ok        403    ok         ok
            other_org  private     no       no       403       403    404        403
            expired    public      ok       no       ok        401    ok         401
            expired    private     no       no       401       401    404        401
            revoked    public      ok       no       ok        401    ok         401
            revoked    private     no       no       401       401    404        401
            """;

    private Path tmp;

    private RunningHub hub;
    private NixCacheFixture nix;
    private GitCli git;
    private final Map<Caller, String> tokens = new EnumMap<>(Caller.class);
    private String pubRoot;
    private String privRoot;
    private final HttpClient http = HttpClient.newHttpClient();
    private int counter;

    static Stream<Arguments> cells() {
        List<Arguments> cells = new ArrayList<>();
        List<String> rows = EXPECTED.lines().skip(1).filter(l -> !l.isBlank()).toList();
        assertThat(rows).hasSize(Caller.values().length * 2);
        for (String row : rows) {
            String[] f = row.trim().split("\\s+");
            assertThat(f).as(row).hasSize(2 + Op.values().length);
            for (Op op : Op.values()) {
                cells.add(Arguments.of(Caller.valueOf(f[0].toUpperCase(Locale.ROOT)), f[1], op, f[2 + op.ordinal()]));
            }
        }
        assertThat(cells).hasSize(Caller.values().length * 2 * Op.values().length);
        return cells.stream();
    }

    @BeforeAll
    void start(@TempDir Path dir) throws IOException {
        tmp = dir;
        hub = RunningHub.start(tmp.resolve("hub"));
        String alice = hub.createUser("alice");
        tokens.put(Caller.OWNER, alice);
        tokens.put(Caller.WRITER, hub.createUser("walt"));
        tokens.put(Caller.READER, hub.createUser("rita"));
        tokens.put(Caller.OTHER_ORG, hub.createUser("oscar"));
        tokens.put(Caller.EXPIRED, hub.expiredToken("alice"));
        tokens.put(Caller.REVOKED, hub.revokedToken("alice"));
        hub.createOrg("acme", "alice");
        hub.addMember("acme", "walt", "writer");
        hub.addMember("acme", "rita", "reader");
        hub.createOrg("other", "oscar");

        nix = new NixCacheFixture(tmp.resolve("nix"));
        privRoot = nix.root;
        pubRoot = nix.nix.addTextWithReferences("pub-root", "a public root");
        RealNix.Result copied = copy(alice, List.of(privRoot, pubRoot));
        assertThat(copied.exitCode()).as(copied.stderr()).isZero();

        for (String env : List.of("pub", "priv")) {
            String root = env.equals("pub") ? pubRoot : privRoot;
            String lock = RunningHub.lockOf("x86_64-linux", Map.of("tool", root));
            String manifest = RunningHub.manifestOf("x86_64-linux", List.of("tool"));
            hub.pushGeneration("acme", env, manifest, lock, alice);
            hub.pushGeneration("acme", env, manifest, lock, alice);
        }
        hub.setVisibility("acme", "priv", "private", alice);
        git = new GitCli(tmp.resolve("git-home"));
    }

    @AfterAll
    void stop() {
        if (hub != null) {
            hub.close();
        }
        http.close();
    }

    @ParameterizedTest(name = "{0} × {1} × {2} → {3}")
    @MethodSource("cells")
    void cell(Caller caller, String visibility, Op op, String expected) throws Exception {
        String env = visibility.equals("public") ? "pub" : "priv";
        String token = caller == Caller.ANONYMOUS ? null : tokens.get(caller);
        String outcome = switch (op) {
            case GIT_READ -> gitRead(env, token);
            case GIT_PUSH -> gitPush(env, token);
            case REST_READ -> status(send("GET", "/api/v1/environments/acme/" + env, token));
            case SWITCH -> status(send("POST", "/api/v1/environments/acme/" + env + "/generations/1/switch", token));
            case CACHE_READ -> status(send("GET", "/cache/" + StorePath.parse(root(env)).hashPart() + ".narinfo", token));
            case UPLOAD -> upload(env, token);
        };
        assertThat(outcome).as("%s × %s × %s", caller, visibility, op).isEqualTo(expected);
    }

    private String root(String env) {
        return env.equals("pub") ? pubRoot : privRoot;
    }

    private String remote() {
        return hub.url() + "/git/acme/floxmeta";
    }

    private String[] auth(String token, String... args) {
        List<String> all = new ArrayList<>();
        if (token != null) {
            all.add("-c");
            all.add("http.extraHeader=Authorization: Bearer " + token);
        }
        all.addAll(List.of(args));
        return all.toArray(String[]::new);
    }

    private String gitRead(String env, String token) {
        Path dir = tmp.resolve("read-" + (counter++));
        GitCli.Result r = git.run(tmp, auth(token, "clone", "-q", "-b", env, remote(), dir.toString()));
        return r.ok() && Files.exists(dir.resolve("metadata.json")) ? "ok" : "no";
    }

    private String gitPush(String env, String token) {
        FloxmetaWorktree w;
        try {
            w = FloxmetaWorktree.cloneOf(git, remote(), tmp.resolve("push-" + (counter++)), env, auth(token));
        } catch (AssertionError cannotRead) {
            // the branch is not visible to this caller: push a history of its own instead
            w = FloxmetaWorktree.init(git, tmp.resolve("push-" + (counter++)), env);
        }
        w.addGeneration(FloxmetaWorktree.MANIFEST, null);
        GitCli.Result pushed = git.run(w.dir, auth(token, "push", remote(), env));
        return pushed.ok() ? "ok" : "no";
    }

    private String upload(String env, String token) throws IOException {
        String path = nix.nix.addTextWithReferences("upload-" + (counter++), "refers to", root(env));
        RealNix.Result r = copy(token, List.of(path));
        if (r.exitCode() == 0) {
            return "ok";
        }
        for (String status : List.of("401", "403")) {
            if (r.stderr().contains(status)) {
                return status;
            }
        }
        return "failed: " + r.stderr();
    }

    private RealNix.Result copy(String token, List<String> paths) throws IOException {
        String config = RealNix.NIX_CONFIG;
        if (token != null) {
            Path netrc = Files.writeString(tmp.resolve("netrc-" + (counter++)),
                    "machine 127.0.0.1\nlogin oauth\npassword " + token + "\n");
            config += "\nnetrc-file = " + netrc;
        }
        List<String> command = new ArrayList<>(List.of("nix", "copy", "--store", nix.nix.storeUri(), "--to", hub.url() + "/cache"));
        command.addAll(paths);
        return nix.nix.tryRun(command, null, Map.of("NIX_CONFIG", config));
    }

    private HttpResponse<String> send(String method, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hub.url() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            // HTTP Basic with the token as password: what git and nix send; the REST API takes it too
            b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("oauth:" + token).getBytes(StandardCharsets.UTF_8)));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String status(HttpResponse<String> r) {
        return r.statusCode() == 200 ? "ok" : Integer.toString(r.statusCode());
    }
}
