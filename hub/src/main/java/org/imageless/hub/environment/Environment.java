package org.imageless.hub.environment;

import java.time.Instant;
import org.imageless.hub.auth.Visibility;

/** An environment as the hub knows it: its branch in {@code owner}'s floxmeta repository plus who may read it. */
public record Environment(String owner, String name, Visibility visibility, Instant createdAt, Instant updatedAt) {}
