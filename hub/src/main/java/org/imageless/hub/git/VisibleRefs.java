package org.imageless.hub.git;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.transport.RefFilter;

/**
 * What a caller who is not a member of the owner sees: only the branches of public environments
 * (and nothing else, not even {@code HEAD}). Branches without a row in the environments table are
 * hidden too: fail closed. JGit's default request policy for smart-HTTP then refuses wants of
 * commits not reachable from these refs, so a hidden commit cannot be fetched by its id.
 */
record VisibleRefs(Set<String> publicEnvironments) implements RefFilter {

    @Override
    public Map<String, Ref> filter(Map<String, Ref> refs) {
        Map<String, Ref> out = new LinkedHashMap<>();
        refs.forEach((name, ref) -> {
            if (name.startsWith(Constants.R_HEADS)
                    && publicEnvironments.contains(name.substring(Constants.R_HEADS.length()))) {
                out.put(name, ref);
            }
        });
        return out;
    }
}
