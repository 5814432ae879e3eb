package org.imageless.hub.git;

import java.io.IOException;
import java.util.Collection;
import java.util.Optional;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.PreReceiveHook;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.eclipse.jgit.transport.ReceivePack;
import org.imageless.environment.EnvironmentRef;
import org.imageless.environment.generation.Generation;
import org.imageless.environment.generation.GenerationsMetadata;
import org.imageless.environment.lock.Lockfile;
import org.imageless.environment.manifest.Manifest;
import org.imageless.hub.environment.BranchSnapshot;
import org.imageless.hub.environment.EnvironmentRoots;
import org.imageless.nix.NixException;
import org.imageless.nix.store.StorePath;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules a push must pass before any branch moves (JGit runs this after the pack is received
 * and stored, before the ref updates). Each refused command gets one line that git prints as
 * {@code ! [remote rejected] <branch> -> <branch> (<reason>)}, and the same line as
 * {@code remote: …}:
 * <ul>
 *   <li>only {@code refs/heads/<environment>} with a valid environment name;
 *   <li>no deletion (that is the REST API's job) and no non-fast-forward;
 *   <li>{@code metadata.json} parses, its history only appends to the branch's previous one, and
 *       generations already published are unchanged;
 *   <li>the tree holds exactly the generation directories the metadata references;
 *   <li>every generation's {@code manifest.toml} and {@code manifest.lock} parse (the message
 *       names file, line and key).
 * </ul>
 */
final class PushValidation implements PreReceiveHook {

    static final String NON_FAST_FORWARD_ADVICE = "pull the environment, re-apply your change, push again";
    private static final Logger LOG = LoggerFactory.getLogger(PushValidation.class);

    private final String owner;
    private final java.util.function.Predicate<StorePath> mayReference;

    PushValidation(String owner) {
        this(owner, path -> true);
    }

    /** {@code mayReference}: whether the pusher may name this store path in a new generation's lock. */
    PushValidation(String owner, java.util.function.Predicate<StorePath> mayReference) {
        this.owner = owner;
        this.mayReference = mayReference;
    }

    /** The environment name of a branch ref ({@code refs/heads/<name>}). */
    static String environment(String refName) {
        return refName.substring(Constants.R_HEADS.length());
    }

    @Override
    public void onPreReceive(ReceivePack rp, Collection<ReceiveCommand> commands) {
        for (ReceiveCommand c : commands) {
            if (c.getResult() != ReceiveCommand.Result.NOT_ATTEMPTED) {
                continue;
            }
            Optional<String> problem;
            try {
                problem = check(rp.getRepository(), c);
            } catch (IOException | RuntimeException e) {
                LOG.warn("validating the push of {} to {}/floxmeta failed", c.getRefName(), owner, e);
                problem = Optional.of("the hub could not validate this push (" + e.getClass().getSimpleName()
                        + "); the hub's log has the details");
            }
            problem.ifPresent(reason -> {
                c.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, reason);
                rp.sendMessage("refused " + c.getRefName() + ": " + reason);
            });
        }
    }

    private Optional<String> check(Repository repo, ReceiveCommand c) throws IOException {
        String ref = c.getRefName();
        if (!ref.startsWith(Constants.R_HEADS)) {
            return Optional.of("only environment branches (refs/heads/<environment>) are accepted, not " + ref);
        }
        String name = environment(ref);
        try {
            EnvironmentRef.of(owner, name);
        } catch (NixException e) {
            return Optional.of("'" + name + "' is not a valid environment name: " + e.getMessage());
        }
        switch (c.getType()) {
            case DELETE -> {
                return Optional.of("deleting environment '" + name + "' over git is not allowed: delete it with the hub's API "
                        + "(DELETE /api/v1/environments/" + owner + "/" + name + ")");
            }
            case UPDATE_NONFASTFORWARD -> {
                return Optional.of("not a fast-forward of environment '" + name
                        + "' (it changed since you fetched it, or history was rewritten): " + NON_FAST_FORWARD_ADVICE);
            }
            default -> {}
        }
        BranchSnapshot next = BranchSnapshot.read(repo, c.getNewId());
        if (!next.nonFiles().isEmpty()) {
            return Optional.of("only plain files are allowed, not symlinks or submodules: " + next.nonFiles());
        }
        GenerationsMetadata metadata;
        try {
            metadata = next.metadata();
        } catch (NixException e) {
            return Optional.of(prefixed(GenerationsMetadata.FILE_NAME, e.getMessage()));
        }
        GenerationsMetadata.TreeCheck tree = metadata.checkTree(next.paths());
        if (!tree.ok()) {
            return Optional.of("the files do not match " + GenerationsMetadata.FILE_NAME
                    + (tree.missing().isEmpty() ? "" : "; missing: " + String.join(", ", tree.missing()))
                    + (tree.extra().isEmpty() ? "" : "; not referenced by any generation: " + String.join(", ", tree.extra())));
        }
        java.util.Set<Integer> published = java.util.Set.of();
        if (c.getType() == ReceiveCommand.Type.UPDATE) {
            try {
                published = BranchSnapshot.read(repo, c.getOldId()).metadata().generations();
            } catch (NixException e) {
                // the previous tip predates validation: check every generation
            }
        }
        for (int n : metadata.generations()) {
            try {
                Manifest.parse(next.text(Generation.manifestPath(n)).orElseThrow(), Generation.manifestPath(n));
                Optional<String> lock = next.text(Generation.lockPath(n));
                if (lock.isPresent()) {
                    Lockfile parsed = Lockfile.parse(lock.get(), Generation.lockPath(n));
                    for (StorePath path : published.contains(n) ? java.util.Set.<StorePath>of()
                            : new java.util.TreeSet<>(EnvironmentRoots.storePaths(parsed))) {
                        if (!mayReference.test(path)) {
                            return Optional.of(Generation.lockPath(n) + ": " + path + " belongs to something you may not read "
                                    + "(a private environment or package): lock only store paths you may read");
                        }
                    }
                }
            } catch (NixException e) {
                return Optional.of(prefixed(Generation.manifestPath(n), e.getMessage()));
            }
        }
        if (c.getType() == ReceiveCommand.Type.UPDATE) {
            BranchSnapshot previous = BranchSnapshot.read(repo, c.getOldId());
            GenerationsMetadata before;
            try {
                before = previous.metadata();
            } catch (NixException e) {
                before = null; // the previous tip predates validation: nothing to keep compatible with
            }
            if (before != null) {
                try {
                    metadata.checkAppendOnly(before);
                } catch (NixException e) {
                    return Optional.of(GenerationsMetadata.FILE_NAME + ": " + e.getMessage()
                            + "; " + NON_FAST_FORWARD_ADVICE);
                }
                for (int n : before.generations()) {
                    for (String path : new String[] {Generation.manifestPath(n), Generation.lockPath(n)}) {
                        if (!previous.text(path).equals(next.text(path))) {
                            return Optional.of(path + " was changed: published generations are immutable, "
                                    + "make a new generation instead");
                        }
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** Messages of the environment module start with the file name already; others get it. */
    private static String prefixed(String file, String message) {
        String oneLine = message.replace('\n', ' ');
        return oneLine.startsWith(file) || oneLine.matches("^[0-9]+/env/[^:]+:.*") ? oneLine : file + ": " + oneLine;
    }
}
