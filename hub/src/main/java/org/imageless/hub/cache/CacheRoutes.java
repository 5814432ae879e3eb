package org.imageless.hub.cache;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import jakarta.servlet.ServletOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import org.eclipse.jetty.ee10.servlet.HttpOutput;
import org.imageless.nix.NixException;
import org.imageless.nix.narinfo.NarInfo;
import org.imageless.nix.store.StorePath;

/**
 * The binary cache over HTTP under {@code /cache}, the protocol of Nix's HTTP binary cache store:
 *
 * <ul>
 *   <li>{@code GET /cache/nix-cache-info}: public;
 *   <li>{@code GET|HEAD /cache/<hash>.narinfo}: the hub-signed record, 404 when absent or not readable by the caller;
 *   <li>{@code GET|HEAD /cache/nar/<file>}: the NAR file streamed from disk, 404 likewise (a HEAD by an
 *       uploader who sent that file lately answers 200, so that {@code nix copy} does not send it again; one
 *       who did not sends it, which proves that it holds the bytes, see {@link CacheAccess#proved});
 *   <li>{@code PUT /cache/nar/<file>} then {@code PUT /cache/<hash>.narinfo}: upload, as {@code nix copy --to
 *       http://…/cache} does it; the narinfo is verified against its NAR before anything becomes visible.
 * </ul>
 *
 * <p>Javalin 7 registers routes while the app is configured, not on a started app:
 * <pre>{@code
 * CacheRoutes<User> cache = new CacheRoutes<>(storage, resolver, access);
 * Javalin app = Javalin.create(config -> cache.register(config.routes)).start(host, port);
 * }</pre>
 * The routes map their own errors to statuses (400 with a message for a refused upload, 401/403 from
 * {@link UploadPermission}); other exceptions propagate to the server's handlers.
 *
 * @param <P> the server's principal type
 */
public final class CacheRoutes<P> {

    public static final String PREFIX = "/cache";
    public static final String NIX_CACHE_INFO = "StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 30\n";
    private static final String NARINFO_TYPE = "text/x-nix-narinfo";
    private static final String NAR_TYPE = "application/x-nix-nar";
    private static final String CACHE_INFO_TYPE = "text/x-nix-cache-info";
    private static final String NARINFO_SUFFIX = ".narinfo";

    private final CacheStorage storage;
    private final PrincipalResolver<P> principals;
    private final CacheAccess<P> access;
    /** ({@link CacheAccess#holder}, NAR file name) of the NAR files uploaded most recently, each hashed as it came in. */
    private final RecentSet<List<Object>> uploads = new RecentSet<>(100_000);

    public CacheRoutes(CacheStorage storage, PrincipalResolver<P> principals, CacheAccess<P> access) {
        this.storage = storage;
        this.principals = principals;
        this.access = access;
    }

    /** Adds the cache's routes under {@value #PREFIX} (call from {@code Javalin.create(config -> …)}). */
    public void register(RoutesConfig routes) {
        routes.get(PREFIX + "/nix-cache-info", this::cacheInfo);
        routes.head(PREFIX + "/nix-cache-info", this::cacheInfo);
        routes.get(PREFIX + "/nar/{file}", ctx -> nar(ctx, true));
        routes.head(PREFIX + "/nar/{file}", ctx -> nar(ctx, false));
        routes.put(PREFIX + "/nar/{file}", this::putNar);
        routes.get(PREFIX + "/{file}", ctx -> narInfo(ctx, true));
        routes.head(PREFIX + "/{file}", ctx -> narInfo(ctx, false));
        routes.put(PREFIX + "/{file}", this::putNarInfo);
    }

    private void cacheInfo(Context ctx) {
        ctx.contentType(CACHE_INFO_TYPE).result(NIX_CACHE_INFO);
    }

    private void narInfo(Context ctx, boolean withBody) throws IOException {
        String file = ctx.pathParam("file");
        if (!file.endsWith(NARINFO_SUFFIX)) {
            notFound(ctx);
            return;
        }
        Optional<CacheStorage.Entry> entry = storage.narInfo(file.substring(0, file.length() - NARINFO_SUFFIX.length()));
        if (entry.isEmpty() || !access.canRead(principals.resolve(ctx), entry.get().info().storePath())) {
            notFound(ctx);
            return;
        }
        byte[] text = entry.get().text();
        ctx.status(200);
        ctx.res().setContentType(NARINFO_TYPE);
        ctx.res().setContentLength(text.length);
        if (withBody) {
            ctx.res().getOutputStream().write(text);
        }
    }

    private void nar(Context ctx, boolean withBody) throws IOException {
        String file = ctx.pathParam("file");
        P principal = principals.resolve(ctx);
        Optional<Path> nar = storage.narFile(file);
        boolean readable = nar.isPresent() && readableByAny(principal, storage.pathsOfNarFile(file));
        if (!readable) {
            if (!withBody && storage.hasNarFile(file) && uploads.contains(List.of(access.holder(principal), file))) {
                ctx.status(200); // nix copy asks before uploading; this uploader sent it lately and need not again
                return;
            }
            notFound(ctx);
            return;
        }
        try (FileChannel ch = FileChannel.open(nar.get(), StandardOpenOption.READ)) {
            long size = ch.size();
            ctx.status(200);
            ctx.res().setContentType(NAR_TYPE);
            ctx.res().setContentLengthLong(size);
            if (withBody) {
                send(ch, size, ctx.res().getOutputStream());
            }
        } catch (NoSuchFileException e) {
            notFound(ctx);
        }
    }

    /**
     * With Jetty, a NAR is mapped and its pages written straight to the socket (one copy, from the page
     * cache), then unmapped as soon as it is written (not when the collector gets to it), so a served file
     * holds no memory. A NAR larger than two slices is {@link #loadedAhead}. Other containers get a
     * large-buffer copy.
     */
    private static void send(FileChannel ch, long size, ServletOutputStream out) throws IOException {
        if (!(out instanceof HttpOutput jetty)) {
            try (InputStream in = Channels.newInputStream(ch)) {
                in.transferTo(out);
            }
            return;
        }
        try (Arena arena = Arena.ofShared()) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            if (size > 2 * SLICE) {
                loadedAhead(file, jetty);
            } else {
                jetty.write(file.asByteBuffer());
            }
        }
    }

    /** Written at a time when streaming a large NAR. */
    private static final long SLICE = 1024 * 1024;
    /** Slices a large NAR's loader may be ahead of the socket. */
    private static final int LOAD_AHEAD = 16;

    /**
     * A large mapped NAR: a loader brings the next {@link #LOAD_AHEAD} slices into memory (the kernel reads
     * each ahead as one request) while Jetty sends the ones before them, so that the disk and the socket
     * work at the same time. Without it, the sending thread faults the pages in one by one and the disk
     * idles while the socket is busy (0.59 of cat's rate from disk in make bench). Reading ahead into
     * buffers of our own (0.56–0.76) cost one more copy of every byte than this does.
     */
    private static void loadedAhead(MemorySegment file, HttpOutput out) throws IOException {
        long size = file.byteSize();
        Semaphore ahead = new Semaphore(LOAD_AHEAD);
        Thread loader = Thread.ofVirtual().name("nar-load").start(() -> {
            try {
                for (long pos = 0; pos < size; pos += SLICE) {
                    ahead.acquire();
                    file.asSlice(pos, Math.min(SLICE, size - pos)).load();
                }
            } catch (InterruptedException e) {
                // the download ended early: the sender no longer needs the pages (the file is unmapped only
                // after this thread is done)
            }
        });
        try {
            for (long pos = 0; pos < size; pos += SLICE) {
                out.write(file.asSlice(pos, Math.min(SLICE, size - pos)).asByteBuffer());
                ahead.release();
            }
        } finally {
            loader.interrupt();
            try {
                loader.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private boolean readableByAny(P principal, Set<StorePath> paths) {
        for (StorePath p : paths) {
            if (access.canRead(principal, p)) {
                return true;
            }
        }
        return false;
    }

    private void putNar(Context ctx) throws IOException {
        if (!mayUpload(ctx)) {
            return;
        }
        try {
            storage.putNar(ctx.pathParam("file"), ctx.req().getInputStream());
            uploads.add(List.of(access.holder(principals.resolve(ctx)), ctx.pathParam("file")));
            ctx.status(200);
        } catch (NixException e) {
            refuse(ctx, e);
        } catch (IOException e) {
            text(ctx, 400, "upload of nar/" + ctx.pathParam("file") + " broke off: " + e.getMessage());
        }
    }

    private void putNarInfo(Context ctx) throws IOException {
        String file = ctx.pathParam("file");
        if (!file.endsWith(NARINFO_SUFFIX)) {
            text(ctx, 404, "only <hash>.narinfo and nar/<file> can be uploaded to the binary cache");
            return;
        }
        if (!mayUpload(ctx)) {
            return;
        }
        try {
            // one more byte than allowed, so that storage refuses a body that is too large
            byte[] body = ctx.req().getInputStream().readNBytes(CacheStorage.MAX_NARINFO_BYTES + 1);
            P principal = principals.resolve(ctx);
            NarInfo info = body.length <= CacheStorage.MAX_NARINFO_BYTES ? NarInfo.parse(new String(body, StandardCharsets.UTF_8)) : null;
            if (info != null) {
                List<StorePath> forbidden = info.references().stream()
                        .filter(r -> !r.equals(info.storePath()) && !access.canReference(principal, r)).toList();
                if (!forbidden.isEmpty()) {
                    text(ctx, 403, "cannot accept " + info.storePath() + ": it references " + forbidden
                            + ", which you may not read and whose NAR you did not upload; upload whole closures "
                            + "(nix copy does)");
                    return;
                }
            }
            CacheStorage.Accepted accepted = storage.putNarInfo(file.substring(0, file.length() - NARINFO_SUFFIX.length()),
                    new java.io.ByteArrayInputStream(body));
            // nix uploads a path it may not read with its NAR, even when the cache has it: the bytes prove
            // that the uploader holds the path
            if (accepted.holdsNar() && uploads.contains(List.of(access.holder(principal), CacheStorage.narFileOf(info)))) {
                access.proved(principal, info.storePath());
            }
            ctx.status(200);
        } catch (NixException e) {
            refuse(ctx, e);
        }
    }

    private boolean mayUpload(Context ctx) {
        switch (access.canUpload(principals.resolve(ctx))) {
            case ALLOWED -> {
                return true;
            }
            case UNAUTHENTICATED -> {
                ctx.header("WWW-Authenticate", "Basic realm=\"floxhub\"");
                text(ctx, 401, "uploading to the binary cache needs a writer's token (HTTP Basic, the token as password)");
                return false;
            }
            case FORBIDDEN -> {
                text(ctx, 403, "this token may not upload to the binary cache: a writer's role is needed");
                return false;
            }
        }
        throw new IllegalStateException();
    }

    private static void refuse(Context ctx, NixException e) {
        text(ctx, e.kind() == NixException.Kind.IO || e.kind() == NixException.Kind.UNAVAILABLE ? 500 : 400,
                e.getMessage());
    }

    private static void notFound(Context ctx) {
        text(ctx, 404, "not found");
    }

    private static void text(Context ctx, int status, String message) {
        ctx.status(status);
        ctx.contentType("text/plain; charset=utf-8");
        ctx.result((message + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
