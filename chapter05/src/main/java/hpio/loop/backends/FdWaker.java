package hpio.loop.backends;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import hpio.nativeio.Errno;
import hpio.nativeio.LinuxEpoll;
import hpio.nativeio.NativeIOException;
import hpio.nativeio.Platform;
import hpio.nativeio.Posix;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The wake-up of the select, poll and epoll backends: a descriptor the backend
 * watches for READ itself, which another thread makes readable to end a blocked
 * wait. An eventfd on Linux (one fd holding a counter); elsewhere a pipe, both
 * ends non-blocking and close-on-exec. (kqueue needs no fd: EVFILT_USER; nio has
 * {@code Selector.wakeup()}.)
 */
public final class FdWaker implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment cs = Posix.newCallState(arena);   // its own: wake() runs on other threads
    private final MemorySegment scratch = arena.allocate(64, 8);
    private final AtomicBoolean pending = new AtomicBoolean();
    private final int readFd;
    private final int writeFd;
    private boolean closed;                  // guarded by this: never write to a closed (maybe reused) fd

    public FdWaker() throws IOException {
        try {
            if (Platform.isLinux()) {
                readFd = writeFd = LinuxEpoll.eventfd(cs, 0, LinuxEpoll.EFD_NONBLOCK | LinuxEpoll.EFD_CLOEXEC);
                if (readFd < 0) throw new NativeIOException("eventfd(EFD_NONBLOCK|EFD_CLOEXEC)", Posix.errno(cs));
            } else {
                if (Posix.pipe(cs, scratch) < 0) throw new NativeIOException("pipe()", Posix.errno(cs));
                readFd = scratch.get(JAVA_INT, 0);
                writeFd = scratch.get(JAVA_INT, 4);
                try {
                    configure(readFd);
                    configure(writeFd);
                } catch (IOException e) {
                    Posix.close(cs, readFd);           // neither end may outlive a failed start
                    Posix.close(cs, writeFd);
                    throw e;
                }
            }
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** macOS has no pipe2(): set non-blocking and close-on-exec one call at a time. */
    private void configure(int fd) throws IOException {
        int flags = Posix.fcntl(cs, fd, Posix.F_GETFL, 0);
        if (flags < 0 || Posix.fcntl(cs, fd, Posix.F_SETFL, flags | Posix.O_NONBLOCK) < 0) {
            throw new NativeIOException("fcntl(pipe fd=" + fd + ", O_NONBLOCK)", Posix.errno(cs));
        }
        if (Posix.fcntl(cs, fd, Posix.F_SETFD, Posix.FD_CLOEXEC) < 0) {
            throw new NativeIOException("fcntl(pipe fd=" + fd + ", FD_CLOEXEC)", Posix.errno(cs));
        }
    }

    /** The fd to watch for READ. */
    public int fd() { return readFd; }

    /** Any thread. Cheap when a wake-up is already on its way. */
    public void wake() {
        if (!pending.compareAndSet(false, true)) return;
        synchronized (this) {
            if (closed) return;
            scratch.set(JAVA_LONG, 0, 1L);
            // eventfd: adds 1 to the counter. Pipe: one byte; a full pipe is awake already.
            Posix.write(cs, writeFd, scratch.address(), readFd == writeFd ? 8 : 1);
        }
    }

    /** On the loop's thread, when {@link #fd()} was reported readable: empty it and re-arm. */
    public void drain() throws IOException {
        // Re-arm before reading: a wake() racing with us then writes again, and the
        // next wait returns at once instead of missing it.
        pending.set(false);
        synchronized (this) {
            long n;
            do {
                n = Posix.read(cs, readFd, scratch.address(), readFd == writeFd ? 8 : 64);
            } while (n > 0 && readFd != writeFd);
            if (n < 0 && Posix.errno(cs) != Errno.EAGAIN) {
                throw new NativeIOException("read(waker fd=" + readFd + ")", Posix.errno(cs));
            }
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) return;
        closed = true;
        int r1 = Posix.close(cs, readFd);
        int errno = Posix.errno(cs);
        if (writeFd != readFd && Posix.close(cs, writeFd) < 0 && r1 == 0) {
            r1 = -1;
            errno = Posix.errno(cs);
        }
        arena.close();
        if (r1 < 0) throw new NativeIOException("close(waker fd=" + readFd + ")", errno);
    }
}
