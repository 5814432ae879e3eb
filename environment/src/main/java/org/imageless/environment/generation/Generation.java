package org.imageless.environment.generation;

import org.imageless.environment.lock.Lockfile;
import org.imageless.environment.manifest.Manifest;
import org.imageless.nix.NixException;

/**
 * One immutable generation of an environment: {@code <number>/env/manifest.toml}, the optional
 * {@code <number>/env/manifest.lock} (Flox allows a generation without one) and the history entry
 * that created it.
 *
 * @param lock {@code null} when the generation has no lock
 */
public record Generation(int number, Manifest manifest, Lockfile lock, HistoryEntry created) {

    public Generation {
        if (number < 1) {
            throw NixException.invalid("generation %d: generations start at 1", number);
        }
        if (created.currentGeneration() != number || !created.createsGeneration()) {
            throw NixException.invalid("generation %d: history entry (%s, current_generation %d) did not create it",
                    number, created.change().kind().json(), created.currentGeneration());
        }
    }

    /** {@code <number>/env/manifest.toml}. */
    public static String manifestPath(int number) {
        return number + "/env/manifest.toml";
    }

    /** {@code <number>/env/manifest.lock}. */
    public static String lockPath(int number) {
        return number + "/env/manifest.lock";
    }
}
