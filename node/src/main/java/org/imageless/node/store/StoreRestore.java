package org.imageless.node.store;

import java.io.BufferedInputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.imageless.nix.nar.NarUnpacker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "restore", mixinStandardHelpOptions = true,
        description = "Unpack a NAR read from standard input into PATH, which must not exist (as 'nix-store --restore').")
final class StoreRestore implements Callable<Integer> {

    @Parameters(paramLabel = "PATH", description = "Where to unpack; must not exist.")
    Path target;

    @Override
    public Integer call() throws IOException {
        try (InputStream in = new BufferedInputStream(new FileInputStream(FileDescriptor.in), 1 << 20)) {
            NarUnpacker.unpack(in, target);
        }
        return 0;
    }
}
