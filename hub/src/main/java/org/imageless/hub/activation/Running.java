package org.imageless.hub.activation;

import java.time.Instant;
import org.imageless.environment.activation.ActivationMode;

/** A container that runs generation {@code generation} of an environment now, as last reported by {@code reporter}. */
public record Running(int generation, String node, String namespace, String pod, String container, ActivationMode mode,
                      Instant activatedAt, String reporter) {}
