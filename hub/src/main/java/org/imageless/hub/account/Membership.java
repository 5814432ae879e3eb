package org.imageless.hub.account;

/** A user's role in an organisation. */
public record Membership(String org, Role role) {}
