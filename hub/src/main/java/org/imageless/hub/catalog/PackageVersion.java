package org.imageless.hub.catalog;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.SequencedMap;
import java.util.TreeMap;

/**
 * One published, immutable version of a catalog package.
 *
 * @param seq     1, 2, … in publication order within the package
 * @param systems per system (sorted), the outputs
 */
public record PackageVersion(PkgPath pkgPath, String version, long seq, String description, String license,
                             boolean unfree, boolean broken, Instant publishedAt, String publisher,
                             SequencedMap<String, SystemOutputs> systems) {

    public PackageVersion {
        systems = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(new TreeMap<>(systems)));
    }
}
