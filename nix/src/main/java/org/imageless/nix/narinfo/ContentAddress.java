package org.imageless.nix.narinfo;

import org.imageless.nix.NixException;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.hash.HashAlgorithm;

/** Nix's content-address field ({@code CA:}): parsed and rendered as {@code renderContentAddress}. */
final class ContentAddress {

    private ContentAddress() {}

    /**
     * Parses {@code text:sha256:<hash>}, {@code fixed:<algo>:<hash>} or {@code fixed:r:<algo>:<hash>}
     * (digest in any encoding Nix accepts) and renders it canonically, with a nix-base32 digest.
     */
    static String canonical(String ca) {
        if (ca.startsWith("text:")) {
            Hash h = Hash.parse(ca.substring("text:".length()));
            if (h.algorithm() != HashAlgorithm.SHA256) {
                throw NixException.invalid("content address '%s': text hashes must be sha256", ca);
            }
            return "text:" + h.toBase32();
        }
        if (ca.startsWith("fixed:")) {
            String rest = ca.substring("fixed:".length());
            String method = "";
            if (rest.startsWith("r:")) {
                method = "r:";
                rest = rest.substring(2);
            }
            if (rest.indexOf(':') < 0) {
                throw NixException.invalid("content address '%s' lacks '<algo>:<hash>'", ca);
            }
            return "fixed:" + method + Hash.parse(rest).toBase32();
        }
        throw NixException.invalid("content address '%s' does not start with 'text:' or 'fixed:'", ca);
    }
}
