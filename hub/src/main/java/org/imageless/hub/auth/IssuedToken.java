package org.imageless.hub.auth;

/** A freshly created token: {@code secret} is shown once and never stored. */
public record IssuedToken(String secret, TokenInfo info) {

    @Override
    public String toString() {
        return "IssuedToken[id=" + info.id() + ", kind=" + info.kind() + "]";
    }
}
