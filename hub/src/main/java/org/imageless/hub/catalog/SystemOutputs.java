package org.imageless.hub.catalog;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.imageless.hub.HubException;
import org.imageless.nix.store.StorePath;

/**
 * A package version's outputs for one system: output name → store path (sorted by name, as Flox's
 * lock writes them) and the outputs installed by default ({@code meta.outputsToInstall}).
 */
public record SystemOutputs(SequencedMap<String, StorePath> outputs, List<String> outputsToInstall) {

    private static final Pattern OUTPUT = Pattern.compile("[A-Za-z0-9_+-]{1,100}");

    public SystemOutputs {
        if (outputs.isEmpty()) {
            throw HubException.invalid("a system needs at least one output (e.g. \"out\")");
        }
        for (String name : outputs.keySet()) {
            if (!OUTPUT.matcher(name).matches()) {
                throw HubException.invalid("output name '%s' is not valid: use letters, digits, '_', '+' and '-'", name);
            }
        }
        for (String name : outputsToInstall) {
            if (!outputs.containsKey(name)) {
                throw HubException.invalid("outputs_to_install names '%s', which is not an output: outputs are %s",
                        name, outputs.keySet());
            }
        }
        outputs = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(new TreeMap<>(outputs)));
        outputsToInstall = List.copyOf(outputsToInstall);
    }
}
