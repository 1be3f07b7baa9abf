package hpio.nativeio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Linux's splice(2) and pipe2(2) through FFM: bytes moved between a socket and a
 * pipe inside the kernel, never copied to user space. Load this class only on
 * Linux: splice has no equivalent on macOS or the BSDs.
 */
public final class LinuxSplice {
    private LinuxSplice() {}

    /** Move pages rather than copy them, where the kernel can (a hint; it may copy anyway). */
    public static final int SPLICE_F_MOVE = 1;
    /** Do not block on the pipe (the sockets are non-blocking already): EAGAIN instead. */
    public static final int SPLICE_F_NONBLOCK = 2;
    /** More data will follow (TCP: like MSG_MORE, it corks a partial segment). */
    public static final int SPLICE_F_MORE = 4;

    public static final int O_NONBLOCK = 0x800;      // 04000
    public static final int O_CLOEXEC = 0x80000;     // 02000000
    /** F_LINUX_SPECIFIC_BASE (1024) + 7: set a pipe's capacity in bytes (rounded up to a power-of-two of pages). */
    public static final int F_SETPIPE_SZ = 1031;
    /** F_LINUX_SPECIFIC_BASE (1024) + 8: a pipe's capacity in bytes. */
    public static final int F_GETPIPE_SZ = 1032;

    // Not blocking (SPLICE_F_NONBLOCK, non-blocking sockets): bound as critical, like read and send.
    private static final MethodHandle SPLICE = Posix.bindNonBlocking("splice",
            JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    private static final MethodHandle PIPE2 = Posix.bind("pipe2", JAVA_INT, ADDRESS, JAVA_INT);

    private static AssertionError linkageFailure(Throwable t) {
        return new AssertionError("FFM downcall failed to link: " + t, t);
    }

    /**
     * {@code ssize_t splice(int fd_in, loff_t *off_in, int fd_out, loff_t *off_out, size_t len, unsigned int flags);}
     * Always with NULL offsets: neither end here is a file with a position.
     */
    public static long splice(MemorySegment cs, int fdIn, int fdOut, long length, int flags) {
        try { return (long) SPLICE.invokeExact(cs, fdIn, MemorySegment.NULL, fdOut, MemorySegment.NULL, length, flags); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int pipe2(int pipefd[2], int flags);} pipefd[0] is the read end, pipefd[1] the write end. */
    public static int pipe2(MemorySegment cs, MemorySegment fds, int flags) {
        try { return (int) PIPE2.invokeExact(cs, fds, flags); }
        catch (Throwable t) { throw linkageFailure(t); }
    }
}
