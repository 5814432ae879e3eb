package org.imageless.node.store;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.imageless.nix.cache.BinaryCacheClient;
import org.imageless.nix.nodestore.NodeStore;
import org.imageless.nix.sign.PublicKey;
import org.imageless.nix.sign.TrustedKeys;
import org.imageless.nix.store.StorePath;
import org.imageless.nix.cache.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "copy-from", mixinStandardHelpOptions = true,
        description = "Realise the closures of store paths from a Nix binary cache into the node store.")
final class StoreCopyFrom implements Callable<Integer> {

    @Mixin
    StoreOption store;

    @Parameters(index = "0", paramLabel = "URL", description = "The binary cache (http://, https:// or file://).")
    URI cache;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "STOREPATH", description = "Store paths to realise, with their closures.")
    List<String> paths;

    @Option(names = "--trusted-key", paramLabel = "NAME:KEY",
            description = "A public key whose signatures are trusted (repeatable), as in nix.conf's trusted-public-keys.")
    List<String> trustedKeys = new ArrayList<>();

    @Option(names = "--no-check-sigs", description = "Accept paths that no trusted key signed (hashes are still checked).")
    boolean noCheckSigs;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "Send the token in FILE as HTTP Basic password, as nix does with a netrc entry.")
    java.nio.file.Path tokenFile;

    @Override
    public Integer call() throws Exception {
        List<StorePath> roots = paths.stream().map(StorePath::parse).toList();
        ProgressBar progress = ProgressBar.onTerminal("flox-node");
        BinaryCacheClient.Builder builder = BinaryCacheClient.builder(cache).listener(progress);
        if (noCheckSigs) {
            builder.acceptUnsigned();
        } else {
            builder.trustedKeys(TrustedKeys.of(trustedKeys.stream().map(PublicKey::parse).toList()));
        }
        if (tokenFile != null) {
            builder.token(java.nio.file.Files.readString(tokenFile).strip());
        }
        NodeStore.RealiseResult result;
        try (BinaryCacheClient client = builder.build()) {
            result = store.open().realise(client, roots);
        } finally {
            progress.close();
        }
        System.err.printf("flox-node: %d paths in the closure, %d fetched, %d already present%n",
                result.closure().size(), result.fetched().size(), result.closure().size() - result.fetched().size());
        return 0;
    }
}
