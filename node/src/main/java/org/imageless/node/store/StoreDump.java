package org.imageless.node.store;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.imageless.nix.nar.NarWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "dump", mixinStandardHelpOptions = true,
        description = "Write the NAR of a file or directory to standard output (the bytes 'nix-store --dump' writes).")
final class StoreDump implements Callable<Integer> {

    @Parameters(paramLabel = "PATH", description = "The file or directory to serialise.")
    Path path;

    @Override
    public Integer call() throws IOException {
        try (OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 20)) {
            NarWriter.dump(path, out);
        }
        return 0;
    }
}
