package org.imageless.nix.nar;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.imageless.nix.NixException;
import org.imageless.nix.posix.PosixFiles;

/**
 * Restores a NAR into a fresh path, as {@code nix-store --restore} does, already in the shape of a
 * canonical store path: files 0444 (0555 when executable), directories 0555 once filled, every
 * modification time 1. Only the fresh target is ever written: every object is created exclusively
 * (never through an existing file or symlink) below directories this unpacker created itself, and
 * entry names are checked by {@link NarReader}. On any failure everything created is removed.
 */
public final class NarUnpacker {

    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("r--r--r--");
    static final Set<PosixFilePermission> EXECUTABLE = PosixFilePermissions.fromString("r-xr-xr-x");
    static final Set<PosixFilePermission> DIRECTORY = EXECUTABLE;
    private static final Set<PosixFilePermission> FILLING = PosixFilePermissions.fromString("rwxr-xr-x");
    /** Nix's canonical modification time of store objects: one second after the epoch. */
    private static final long CANONICAL_MTIME = 1;
    private static final Set<OpenOption> CREATE_FILE =
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);

    private NarUnpacker() {}

    /**
     * Unpacks {@code nar} into {@code target}, which must not exist (its parent must). Reads the NAR
     * exactly to its end. Throws {@link NarFormatException} for a malformed NAR, a
     * {@link NixException} of kind INVALID for a bad target or IO when the file system refuses,
     * and {@link IOException} when reading {@code nar} fails; in every case nothing is left behind.
     */
    public static void unpack(InputStream nar, Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw NixException.invalid("cannot unpack a NAR into '%s': its parent directory does not exist", target);
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw NixException.invalid("cannot unpack a NAR into '%s': it already exists", target);
        }
        Restorer restorer = new Restorer(target);
        try {
            NarReader.read(nar, restorer);
        } catch (IOException | RuntimeException | Error e) {
            if (restorer.createdRoot) {
                try {
                    deleteTree(target);
                } catch (IOException | RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
    }

    /** Creates each object as the reader reports it. */
    private static final class Restorer implements NarReader.Visitor {
        private final Path target;
        private final byte[] buf = new byte[256 * 1024];
        boolean createdRoot;
        /** Whether the process umask strips bits of 0444/0555; learnt from the first file created. */
        private Boolean umaskNarrowsModes;

        Restorer(Path target) {
            this.target = target;
        }

        private Path resolve(String path) {
            return path.isEmpty() ? target : target.resolve(path);
        }

        @Override
        public void directory(String path) {
            Path dir = resolve(path);
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(FILLING));
                created(path);
                // the umask may have narrowed the mode; the owner must be able to fill it
                Files.setPosixFilePermissions(dir, FILLING);
            } catch (IOException e) {
                throw failed(path, dir, e);
            }
        }

        @Override
        public void endDirectory(String path) {
            Path dir = resolve(path);
            try {
                Files.setPosixFilePermissions(dir, DIRECTORY);
                setTime(dir);
            } catch (IOException e) {
                throw failed(path, dir, e);
            }
        }

        @Override
        public void file(String path, boolean executable, long size, InputStream contents) throws IOException {
            Path file = resolve(path);
            Set<PosixFilePermission> mode = executable ? EXECUTABLE : FILE;
            SeekableByteChannel out;
            try {
                // created with its final mode: writing through the open descriptor is still allowed
                out = Files.newByteChannel(file, CREATE_FILE, PosixFilePermissions.asFileAttribute(mode));
                created(path);
            } catch (IOException e) {
                throw failed(path, file, e);
            }
            try (out) {
                int n;
                while ((n = contents.read(buf)) > 0) {
                    try {
                        ByteBuffer chunk = ByteBuffer.wrap(buf, 0, n);
                        while (chunk.hasRemaining()) {
                            out.write(chunk);
                        }
                    } catch (IOException e) {
                        throw failed(path, file, e);
                    }
                }
            }
            try {
                if (umaskNarrowsModes == null) {
                    umaskNarrowsModes = !Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS).equals(mode);
                }
                if (umaskNarrowsModes) {
                    Files.setPosixFilePermissions(file, mode);
                }
                setTime(file);
            } catch (IOException e) {
                throw failed(path, file, e);
            }
        }

        @Override
        public void symlink(String path, String target) {
            Path link = resolve(path);
            try {
                PosixFiles.createSymlink(link, target.getBytes(StandardCharsets.UTF_8));
                created(path);
                setTime(link);
            } catch (IOException e) {
                throw failed(path, link, e);
            }
        }

        private void created(String path) {
            if (path.isEmpty()) {
                createdRoot = true;
            }
        }

        private static void setTime(Path p) throws IOException {
            PosixFiles.setModificationTime(p, CANONICAL_MTIME);
        }

        private static NixException failed(String path, Path file, IOException e) {
            String why = switch (e) {
                case FileAlreadyExistsException x -> "it already exists";
                case NoSuchFileException x -> "no such file or directory";
                default -> e.getMessage();
            };
            return new NixException(NixException.Kind.IO,
                    "cannot create NAR entry '%s' at '%s': %s".formatted(path.isEmpty() ? "/" : path, file, why), e);
        }
    }

    /** Removes {@code root} and everything below it, without following symlinks, read-only directories included. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.setPosixFilePermissions(dir, FILLING);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
