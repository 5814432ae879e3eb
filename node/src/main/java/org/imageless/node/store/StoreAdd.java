package org.imageless.node.store;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.imageless.nix.store.StorePath;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "add", mixinStandardHelpOptions = true,
        description = "Add a file or directory to the node store and print its store path (the path 'nix-store --add' gives).")
final class StoreAdd implements Callable<Integer> {

    @Mixin
    StoreOption store;

    @Parameters(paramLabel = "PATH", description = "The file or directory to add.")
    Path source;

    @Option(names = "--name", paramLabel = "NAME", description = "The store path name (default: the file name).")
    String name;

    @Option(names = "--scan-references",
            description = "Record as references the store's valid paths whose hashes occur in the contents.")
    boolean scanReferences;

    @Override
    public Integer call() {
        String n = name != null ? name : source.toAbsolutePath().normalize().getFileName().toString();
        StorePath path = store.open().add(source, n, scanReferences);
        System.out.println(path);
        return 0;
    }
}
