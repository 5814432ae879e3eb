/**
 * The hub's Nix binary cache at {@code /cache}: {@link org.imageless.hub.cache.CacheStorage} keeps
 * NARs and hub-signed narinfo records write-once under {@code <data>/cache/};
 * {@link org.imageless.hub.cache.CacheRoutes} serves them and accepts uploads from
 * {@code nix copy --to http://…/cache}; {@link org.imageless.hub.cache.CacheAccess} and
 * {@link org.imageless.hub.cache.PrincipalResolver} are what the server supplies to decide who may
 * read which store path (closure of what the caller may read, else 404) and who may upload.
 *
 * <p>What nix 2.8 sends for {@code nix copy --to 'http://HOST/cache?compression=xz' P}, observed: HTTP Basic
 * credentials from its netrc file on every request (preemptively); {@code GET nix-cache-info}; {@code GET
 * <hash>.narinfo} for every path of the closure (404 means "upload it"); then per path, references first:
 * {@code HEAD nar/<filehash>.nar.xz} (200 means "already there, skip the NAR"), {@code PUT
 * nar/<filehash>.nar.xz} with {@code Content-Type: application/x-nix-nar}, {@code Content-Length} and
 * {@code Expect: 100-continue}, then {@code PUT <hash>.narinfo} with {@code Content-Type: text/x-nix-narinfo}.
 * The NAR file is named by the nix-base32 SHA-256 of the compressed file (.nar, .nar.xz, .nar.zst).
 */
package org.imageless.hub.cache;
