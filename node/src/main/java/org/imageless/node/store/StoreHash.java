package org.imageless.node.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.imageless.nix.hash.Hash;
import org.imageless.nix.nar.NarDigest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "hash", mixinStandardHelpOptions = true,
        description = "Print the SHA-256 of a path's NAR, as 'nix hash path' does (SRI by default).")
final class StoreHash implements Callable<Integer> {

    @Parameters(paramLabel = "PATH", description = "The file or directory to hash.")
    Path path;

    @Option(names = "--base32", description = "Print the bare nix-base32 digest, as 'nix hash path --base32'.")
    boolean base32;

    @Override
    public Integer call() throws IOException {
        Hash h = NarDigest.of(path).narHash();
        System.out.println(base32 ? h.base32Digest() : h.toSri());
        return 0;
    }
}
