package org.imageless.node.store;

import java.util.List;
import java.util.concurrent.Callable;
import org.imageless.nix.nodestore.NodeStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Re-hash every valid path of the node store and check its references; exit 4 on any problem.")
final class StoreVerify implements Callable<Integer> {

    @Mixin
    StoreOption store;

    @Override
    public Integer call() {
        NodeStore s = store.open();
        int count = s.list().size();
        List<NodeStore.Problem> problems = s.verify();
        for (NodeStore.Problem p : problems) {
            System.err.println("flox-node: " + p);
        }
        System.out.println(count + " paths checked, " + problems.size() + " problems");
        return problems.isEmpty() ? 0 : 4;
    }
}
