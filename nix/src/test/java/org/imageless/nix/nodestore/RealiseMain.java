package org.imageless.nix.nodestore;

import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import org.imageless.nix.store.StorePath;

/**
 * A realise in a process of its own, for the crash and concurrency tests:
 * {@code RealiseMain CACHE_URL STORE_DIR PUBLIC_KEY STOREPATH...}. Prints the fetched paths.
 */
public final class RealiseMain {
    public static void main(String[] args) {
        NodeStore store = NodeStore.open(Path.of(args[1]));
        var result = store.realise(TestCaches.client(URI.create(args[0]), args[2]),
                Arrays.stream(args, 3, args.length).map(StorePath::parse).toList());
        System.out.println("fetched " + result.fetched().size() + " of " + result.closure().size());
    }
}
