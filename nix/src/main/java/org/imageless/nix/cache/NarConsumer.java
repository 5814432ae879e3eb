package org.imageless.nix.cache;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads one NAR, e.g. unpacks it into a fresh temporary directory. It must read the NAR to its end.
 *
 * <p>The consumer may be called more than once for the same NAR: when a download fails part-way
 * with a transient error, {@link BinaryCacheClient#fetchNar} starts over and calls the consumer
 * again with a new stream from the first byte. Each call must therefore start from a clean slate
 * (a new temporary directory, a truncated file) and leave nothing behind that a later call trips
 * over. Nothing the consumer produced may be trusted until {@code fetchNar} returns normally: the
 * hash is checked only after the consumer returns.
 */
@FunctionalInterface
public interface NarConsumer {
    void accept(InputStream nar) throws IOException;
}
