package org.imageless.node.store;

import java.util.concurrent.Callable;
import org.imageless.nix.nodestore.NodeStore;
import org.imageless.nix.store.StorePath;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "ls", mixinStandardHelpOptions = true, description = "List the valid paths of the node store.")
final class StoreLs implements Callable<Integer> {

    @Mixin
    StoreOption store;

    @Option(names = {"-l", "--long"}, description = "Also print NAR size and hash.")
    boolean longFormat;

    @Override
    public Integer call() {
        NodeStore s = store.open();
        for (StorePath p : s.list()) {
            if (longFormat) {
                s.query(p).ifPresent(i -> System.out.printf("%12d %s %s%n", i.narSize(), i.narHash().toSri(), p));
            } else {
                System.out.println(p);
            }
        }
        return 0;
    }
}
