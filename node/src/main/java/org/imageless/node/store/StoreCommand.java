package org.imageless.node.store;

import picocli.CommandLine.Command;

/** {@code flox-node store}: inspect and fill the node store. */
@Command(name = "store", mixinStandardHelpOptions = true,
        description = "Inspect and fill a node store (a directory that plays /nix/store).",
        subcommands = {StoreAdd.class, StoreDump.class, StoreHash.class, StoreRestore.class, StoreCopyFrom.class,
                StoreVerify.class, StoreLs.class, StoreGc.class})
public final class StoreCommand {
}
