package org.imageless.node.store;

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
        // unbuffered: the NAR reader buffers itself and reads large file contents straight through
        try (InputStream in = new FileInputStream(FileDescriptor.in)) {
            NarUnpacker.unpack(in, target);
        }
        return 0;
    }
}
