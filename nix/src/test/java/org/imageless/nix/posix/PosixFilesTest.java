package org.imageless.nix.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PosixFilesTest {

    @TempDir
    Path tmp;

    @Test
    void mkfifoMakesAFifoWithTheModeAndRefusesAnExistingName() throws Exception {
        Path fifo = tmp.resolve("reply");

        PosixFiles.mkfifo(fifo, 0600);

        BasicFileAttributes a = Files.readAttributes(fifo, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertThat(a.isOther()).isTrue();
        assertThat(Files.getPosixFilePermissions(fifo)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        // what `stat` says, not only what Java makes of the attributes
        Process stat = new ProcessBuilder("stat", "-c", "%F", fifo.toString()).start();
        assertThat(new String(stat.getInputStream().readAllBytes()).strip()).isEqualTo("fifo");
        assertThatThrownBy(() -> PosixFiles.mkfifo(fifo, 0600)).isInstanceOf(FileSystemException.class)
                .hasMessageContaining(fifo.toString()).hasMessageContaining("mkfifo: File exists");
        assertThatThrownBy(() -> PosixFiles.mkfifo(tmp.resolve("no/such/dir/reply"), 0600)).isInstanceOf(FileSystemException.class)
                .hasMessageContaining("mkfifo: No such file or directory");
    }
}
