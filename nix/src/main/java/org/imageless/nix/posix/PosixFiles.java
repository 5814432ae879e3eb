package org.imageless.nix.posix;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * The file calls that go to libc directly. The two symlink calls, because Java's {@code Path}
 * normalises ({@code "a//b/"} becomes {@code "a/b"}) but a NAR records a symlink's target exactly
 * as {@code readlink(2)} returns it; {@code utimensat(2)}, one call per file where the JDK's
 * {@code setTimes} opens, calls {@code futimens} and closes; and {@code mkfifo(3)}, which the JDK
 * does not have (the runtime daemon's reply FIFOs). The launchers grant native access
 * ({@code --enable-native-access=ALL-UNNAMED}).
 */
@SuppressWarnings("restricted")
public final class PosixFiles {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle READLINK = LINKER.downcallHandle(
            LINKER.defaultLookup().find("readlink").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle SYMLINK = LINKER.downcallHandle(
            LINKER.defaultLookup().find("symlink").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle UTIMENSAT = LINKER.downcallHandle(
            LINKER.defaultLookup().find("utimensat").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT),
            Linker.Option.captureCallState("errno"));
    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final long UTIME_OMIT = (1L << 30) - 2;
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("strerror").orElseThrow(),
            FunctionDescriptor.of(ADDRESS, JAVA_INT));

    /** Linked at first use: the per-call JVMs that unpack NARs never make a FIFO. */
    private static final class Fifo {
        static final MethodHandle MKFIFO = LINKER.downcallHandle(
                LINKER.defaultLookup().find("mkfifo").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
                Linker.Option.captureCallState("errno"));
    }

    private PosixFiles() {}

    /** The target of symlink {@code link}, byte for byte; fails if it is longer than {@code max} bytes. */
    public static byte[] readSymlink(Path link, int max) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment buf = arena.allocate(max + 2L);
            long n = (long) READLINK.invokeExact(state, arena.allocateFrom(link.toString()), buf, max + 2L);
            if (n < 0) {
                throw failure(link, "readlink", state);
            }
            if (n > max) {
                throw new FileSystemException(link.toString(), null, "symlink target longer than " + max + " bytes");
            }
            return buf.asSlice(0, n).toArray(JAVA_BYTE);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Creates symlink {@code link} pointing to exactly {@code target}; fails if {@code link} exists. */
    public static void createSymlink(Path link, byte[] target) throws IOException {
        call(link, "symlink", (arena, state) -> {
            MemorySegment cTarget = arena.allocate(target.length + 1L);
            MemorySegment.copy(target, 0, cTarget, JAVA_BYTE, 0, target.length);
            return (int) SYMLINK.invokeExact(state, cTarget, arena.allocateFrom(link.toString()));
        });
    }

    /** Sets the modification time of {@code path} (not following a symlink), leaving atime alone. */
    public static void setModificationTime(Path path, long epochSeconds) throws IOException {
        call(path, "utimensat", (arena, state) -> {
            MemorySegment times = arena.allocate(JAVA_LONG, 4);
            times.setAtIndex(JAVA_LONG, 0, 0L);
            times.setAtIndex(JAVA_LONG, 1, UTIME_OMIT);
            times.setAtIndex(JAVA_LONG, 2, epochSeconds);
            times.setAtIndex(JAVA_LONG, 3, 0L);
            return (int) UTIMENSAT.invokeExact(state, AT_FDCWD, arena.allocateFrom(path.toString()), times, AT_SYMLINK_NOFOLLOW);
        });
    }

    /**
     * Makes FIFO {@code fifo} with permission bits {@code mode} (less the umask); fails if
     * {@code fifo} exists.
     */
    public static void mkfifo(Path fifo, int mode) throws IOException {
        call(fifo, "mkfifo", (arena, state) -> (int) Fifo.MKFIFO.invokeExact(state, arena.allocateFrom(fifo.toString()), mode));
    }

    /** A libc call that answers 0, or -1 with errno (captured in {@code state}). */
    private interface Call {
        int invoke(Arena arena, MemorySegment state) throws Throwable;
    }

    /** Runs {@code call} with a fresh arena; a failure names {@code path}, the call and errno's text. */
    private static void call(Path path, String name, Call call) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            if (call.invoke(arena, state) != 0) {
                throw failure(path, name, state);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static IOException failure(Path path, String call, MemorySegment state) throws Throwable {
        int errno = (int) ERRNO.get(state, 0L);
        MemorySegment msg = (MemorySegment) STRERROR.invokeExact(errno);
        String reason = msg.reinterpret(256).getString(0);
        return new FileSystemException(path.toString(), null, call + ": " + reason);
    }
}
