package org.imageless.hub.account;

/** A namespace: a user's own name or an organisation. Names are unique across both. */
public record Owner(String name, Kind kind) {

    public enum Kind { USER, ORG }
}
