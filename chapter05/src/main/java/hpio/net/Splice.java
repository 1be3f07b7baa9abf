package hpio.net;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import hpio.nativeio.Errno;
import hpio.nativeio.LinuxSplice;
import hpio.nativeio.NativeIOException;
import hpio.nativeio.Platform;
import hpio.nativeio.Posix;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Zero-copy forwarding between sockets: splice(2) from a socket into a pipe, then
 * from the pipe into another socket. The bytes stay in kernel pages; read(2) and
 * send(2) would copy each byte twice, into a user-space buffer and back out.
 * Linux only, and only on the socket layer of real fds ({@link NativeSockets}): nio's
 * channels have no fd to splice from. Scratch memory is allocated once per instance.
 */
public final class Splice {
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment cs = Posix.newCallState(arena);
    private final MemorySegment fds = arena.allocate(JAVA_INT, 2);

    private Splice() {}

    /** A pipe's two ends: bytes written to {@code writeFd} come out of {@code readFd}. */
    public record Pipe(int readFd, int writeFd, int capacity) {}

    /** Why splice cannot be used with this event backend ("epoll", "nio", ...) on this OS, or null when it can. */
    public static String unavailableReason(String backend) {
        if (!Platform.isLinux()) {
            return "--splice needs Linux: splice(2) is Linux-only, and this is " + System.getProperty("os.name");
        }
        if (backend.equals("nio")) {
            return "--splice needs a native backend (epoll, poll, select or io_uring): nio's channels have no fds to splice";
        }
        return null;
    }

    /**
     * For this socket layer.
     *
     * @throws IllegalArgumentException when splice cannot work with it (nio, or not Linux)
     */
    public static Splice open(Sockets sockets) {
        if (!Platform.isLinux()) throw new IllegalArgumentException(unavailableReason("epoll"));
        if (!(sockets instanceof NativeSockets)) throw new IllegalArgumentException(unavailableReason("nio"));
        return new Splice();
    }

    /**
     * A new pipe, non-blocking and close-on-exec, its capacity set to {@code capacity}
     * bytes if that is more than 0 and the kernel allows it (the default, 64 KiB, otherwise).
     *
     * @return the pipe, or null when no fd is left for it (EMFILE, ENFILE): the caller copies instead
     */
    public Pipe pipe(int capacity) throws IOException {
        if (LinuxSplice.pipe2(cs, fds, LinuxSplice.O_NONBLOCK | LinuxSplice.O_CLOEXEC) < 0) {
            int errno = Posix.errno(cs);
            if (errno == Errno.EMFILE || errno == Errno.ENFILE) return null;
            throw new NativeIOException("pipe2", errno);
        }
        int r = fds.getAtIndex(JAVA_INT, 0);
        int w = fds.getAtIndex(JAVA_INT, 1);
        // Past the user's pipe-user-pages-soft (/proc/sys/fs), or above pipe-max-size, the
        // kernel refuses a bigger pipe (EPERM): keep the one it gave, whatever its size.
        if (capacity > 0) Posix.fcntl(cs, r, LinuxSplice.F_SETPIPE_SZ, capacity);
        int size = Posix.fcntl(cs, r, LinuxSplice.F_GETPIPE_SZ, 0);
        if (size <= 0) {
            int errno = Posix.errno(cs);
            Posix.close(cs, r);
            Posix.close(cs, w);
            throw new NativeIOException("fcntl(F_GETPIPE_SZ, fd=" + r + ")", errno);
        }
        return new Pipe(r, w, size);
    }

    /**
     * Moves up to {@code max} bytes from a socket into a pipe.
     *
     * @return bytes moved; 0 at EOF (the peer sent FIN); {@link Sockets#AGAIN} when the
     *         socket has nothing (or the pipe is full: call it with an empty pipe, and it cannot be)
     * @throws NativeIOException on a socket error (ECONNRESET, ...)
     */
    public int toPipe(int socketFd, Pipe pipe, int max) throws IOException {
        return splice(socketFd, pipe.writeFd(), max, LinuxSplice.SPLICE_F_MOVE | LinuxSplice.SPLICE_F_NONBLOCK);
    }

    /**
     * Moves up to {@code count} bytes from a pipe into a socket.
     *
     * @return bytes moved (possibly fewer: a short write), or {@link Sockets#AGAIN} when
     *         the socket's send buffer is full
     * @throws NativeIOException on a socket error (EPIPE, ECONNRESET, ...)
     */
    public int fromPipe(Pipe pipe, int socketFd, int count) throws IOException {
        // Not SPLICE_F_MORE: like MSG_MORE it corks a partial TCP segment until more comes,
        // and a proxy cannot know more will: a request's last bytes would wait for the
        // kernel's cork timer (200 ms). HAProxy sets it only when its upper layer knows.
        // splice has no MSG_NOSIGNAL: to a reset peer it raises SIGPIPE as write(2) does.
        // The JVM's own handler ignores SIGPIPE (as HAProxy does with SIG_IGN), so it comes back as EPIPE.
        return splice(pipe.readFd(), socketFd, count, LinuxSplice.SPLICE_F_MOVE | LinuxSplice.SPLICE_F_NONBLOCK);
    }

    private int splice(int in, int out, int length, int flags) throws IOException {
        while (true) {
            long n = LinuxSplice.splice(cs, in, out, length, flags);
            if (n >= 0) return (int) n;
            int errno = Posix.errno(cs);
            if (errno == Errno.EAGAIN) return Sockets.AGAIN;
            if (errno != Errno.EINTR) throw new NativeIOException("splice(fd=" + in + " -> fd=" + out + ")", errno);
        }
    }

    /** Closes both ends. */
    public void close(Pipe pipe) {
        // Never retried on EINTR (the fd is gone on Linux either way), never thrown:
        // a pipe closes on the way out of a connection that is closing anyway.
        Posix.close(cs, pipe.readFd());
        Posix.close(cs, pipe.writeFd());
    }
}
