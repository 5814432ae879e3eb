package org.imageless.nix.cache;

import org.imageless.nix.store.StorePath;

/**
 * Progress of NAR downloads, e.g. for a progress bar. Called from the downloading thread (several
 * downloads may run at once, on different threads). A retried download calls {@link #started}
 * again and counts from 0. Implementations must be quick and must not throw.
 */
public interface TransferListener {

    /** A download of {@code path}'s NAR starts; {@code expectedBytes} is its NarSize. */
    default void started(StorePath path, long expectedBytes) {}

    /** {@code bytesSoFar} bytes of the (decompressed) NAR of {@code path} have been read. */
    default void progressed(StorePath path, long bytesSoFar) {}

    /** The NAR of {@code path} was downloaded and verified. */
    default void finished(StorePath path) {}

    /** The download failed with a transient error and will be attempted again. */
    default void retrying(StorePath path, int attempt, Exception cause) {}

    TransferListener NONE = new TransferListener() {};
}
