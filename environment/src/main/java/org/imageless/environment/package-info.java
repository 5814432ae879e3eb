/**
 * Environments as Flox defines them: manifest ({@code manifest.toml}), lock ({@code manifest.lock}),
 * generations as FloxHub stores them, the environment view and the activation plan. Shared by the
 * hub, the CLI and the node runtime.
 */
package org.imageless.environment;
