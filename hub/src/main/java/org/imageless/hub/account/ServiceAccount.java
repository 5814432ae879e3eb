package org.imageless.hub.account;

/** A non-human account of an organisation (CI, a cluster) with a fixed role there: reader or writer. */
public record ServiceAccount(String org, String name, Role role) {}
