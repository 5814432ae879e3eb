package org.imageless.hub.cache;

/** Whether a caller may upload to the binary cache, and if not, how the refusal is answered. */
public enum UploadPermission {
    /** The caller is a writer: the upload is accepted (if it verifies). */
    ALLOWED,
    /**
     * No (valid) credentials: answered 401 with {@code WWW-Authenticate: Basic realm="floxhub"}, so
     * that nix sends the credentials from its netrc file.
     */
    UNAUTHENTICATED,
    /** Authenticated but not a writer: answered 403. */
    FORBIDDEN
}
