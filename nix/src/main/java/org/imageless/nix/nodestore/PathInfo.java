package org.imageless.nix.nodestore;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.imageless.nix.NixException;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.narinfo.NarInfo;
import org.imageless.nix.store.StorePath;

/**
 * What the node store knows of a valid path: the narinfo fields that describe the contents, without
 * the cache's transport fields (URL, compression, file hash). Kept beside the store in the same
 * {@code Key: value} text as a narinfo, so an operator can read it with {@code cat}.
 */
public record PathInfo(StorePath storePath, Hash narHash, long narSize, List<StorePath> references,
                       Optional<StorePath> deriver, List<String> sigs, Optional<String> ca) {

    public PathInfo {
        references = List.copyOf(references);
        sigs = List.copyOf(sigs);
        if (narSize < 0) {
            throw NixException.invalid("path info of '%s' has negative NarSize %d", storePath, narSize);
        }
    }

    public static PathInfo of(NarInfo info) {
        return new PathInfo(info.storePath(), info.narHash(), info.narSize(), info.references(),
                info.deriver(), info.sigs(), info.ca());
    }

    /** References other than the path itself. */
    public List<StorePath> referencesWithoutSelf() {
        return references.stream().filter(r -> !r.equals(storePath)).toList();
    }

    public String format() {
        StringBuilder s = new StringBuilder();
        s.append("StorePath: ").append(storePath).append('\n');
        s.append("NarHash: ").append(narHash.toBase32()).append('\n');
        s.append("NarSize: ").append(narSize).append('\n');
        s.append("References: ")
                .append(String.join(" ", references.stream().map(StorePath::baseName).toList()))
                .append('\n');
        deriver.ifPresent(d -> s.append("Deriver: ").append(d.baseName()).append('\n'));
        for (String sig : sigs) {
            s.append("Sig: ").append(sig).append('\n');
        }
        ca.ifPresent(c -> s.append("CA: ").append(c).append('\n'));
        return s.toString();
    }

    public static PathInfo parse(String text, String source) {
        StorePath storePath = null;
        Hash narHash = null;
        long narSize = -1;
        List<StorePath> references = List.of();
        Optional<StorePath> deriver = Optional.empty();
        List<String> sigs = new ArrayList<>();
        Optional<String> ca = Optional.empty();
        int lineNo = 0;
        for (String line : text.split("\n")) {
            lineNo++;
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(": ");
            if (colon <= 0) {
                throw NixException.corrupt("%s line %d: expected 'Key: value', got '%s'", source, lineNo, line);
            }
            String key = line.substring(0, colon);
            String value = line.substring(colon + 2);
            switch (key) {
                case "StorePath" -> storePath = StorePath.parse(value);
                case "NarHash" -> narHash = Hash.parse(value);
                case "NarSize" -> narSize = Long.parseLong(value);
                case "References" -> references = value.isEmpty() ? List.of()
                        : java.util.Arrays.stream(value.split(" ")).map(StorePath::fromBaseName).toList();
                case "Deriver" -> deriver = Optional.of(StorePath.fromBaseName(value));
                case "Sig" -> sigs.add(value);
                case "CA" -> ca = Optional.of(value);
                default -> throw NixException.corrupt("%s line %d: unknown key '%s'", source, lineNo, key);
            }
        }
        if (storePath == null || narHash == null || narSize < 0) {
            throw NixException.corrupt("%s lacks StorePath, NarHash or NarSize", source);
        }
        return new PathInfo(storePath, narHash, narSize, references, deriver, sigs, ca);
    }
}
