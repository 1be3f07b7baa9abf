package hpio.exercises.ex1;

import static hpio.nativeio.LinuxEpoll.DATA_OFFSET;
import static hpio.nativeio.LinuxEpoll.EVENT_SIZE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import hpio.loop.Backend;
import hpio.loop.Events;
import hpio.loop.FiredEvents;
import hpio.loop.backends.FdWaker;
import hpio.nativeio.Errno;
import hpio.nativeio.LinuxEpoll;
import hpio.nativeio.NativeIOException;
import hpio.nativeio.Posix;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Exercise 1: an epoll backend of your own ({@code -e student-epoll}).
 *
 * <p>Hints: {@code make hint EX=1}. Check: {@code make exercise EX=1}.
 */
public final class StudentEpoll implements Backend {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment cs = Posix.newCallState(arena);
    private final MemorySegment change = arena.allocate(LinuxEpoll.EPOLL_EVENT);
    private final MemorySegment ready;
    private final int capacity;
    private final int epfd;
    private final FdWaker waker;

    public StudentEpoll(int batchSize) throws IOException {
        capacity = batchSize;
        ready = arena.allocate(LinuxEpoll.EPOLL_EVENT, batchSize);
        epfd = LinuxEpoll.epollCreate1(cs, LinuxEpoll.EPOLL_CLOEXEC);
        if (epfd < 0) {
            int errno = Posix.errno(cs);
            arena.close();
            throw new NativeIOException("epoll_create1(EPOLL_CLOEXEC)", errno);
        }
        FdWaker w = null;
        try {
            w = new FdWaker();
            ctl(LinuxEpoll.EPOLL_CTL_ADD, w.fd(), Events.READ);
        } catch (IOException | RuntimeException e) {
            if (w != null) w.close();
            Posix.close(cs, epfd);
            arena.close();
            throw e;
        }
        waker = w;
    }

    @Override public String name() { return "student-epoll"; }

    @Override public boolean supportsEdgeTriggered() { return true; }

    static int toEpoll(int interest) {
        int e = 0;
        if ((interest & Events.READ) != 0) e |= LinuxEpoll.EPOLLIN | LinuxEpoll.EPOLLRDHUP;
        if ((interest & Events.WRITE) != 0) e |= LinuxEpoll.EPOLLOUT;
        if ((interest & Events.EDGE) != 0) e |= LinuxEpoll.EPOLLET;
        return e;
    }

    static int fromEpoll(int e) {
        int events = 0;
        if ((e & LinuxEpoll.EPOLLIN) != 0) events |= Events.READ;
        if ((e & LinuxEpoll.EPOLLOUT) != 0) events |= Events.WRITE;
        if ((e & LinuxEpoll.EPOLLERR) != 0) events |= Events.ERROR;
        if ((e & (LinuxEpoll.EPOLLHUP | LinuxEpoll.EPOLLRDHUP)) != 0) events |= Events.HUP;
        return events;
    }

    private void ctl(int op, int fd, int interest) throws NativeIOException {
        change.set(JAVA_INT, 0, toEpoll(interest));
        change.set(JAVA_LONG_UNALIGNED, DATA_OFFSET, fd);
        if (LinuxEpoll.epollCtl(cs, epfd, op, fd, change) < 0) {
            throw new NativeIOException("epoll_ctl(" + LinuxEpoll.ctlOpName(op) + ", fd=" + fd + ")", Posix.errno(cs));
        }
    }

    private static boolean watched(int interest) {
        return (interest & (Events.READ | Events.WRITE)) != 0;
    }

    @Override
    public void add(int fd, int interest) throws IOException {
        if (watched(interest)) ctl(LinuxEpoll.EPOLL_CTL_ADD, fd, interest);
    }

    @Override
    public void modify(int fd, int oldInterest, int newInterest) throws IOException {
        boolean was = watched(oldInterest), now = watched(newInterest);
        if (was && now) ctl(LinuxEpoll.EPOLL_CTL_MOD, fd, newInterest);
        else if (now) ctl(LinuxEpoll.EPOLL_CTL_ADD, fd, newInterest);
        else if (was) ctl(LinuxEpoll.EPOLL_CTL_DEL, fd, 0);
    }

    @Override
    public void remove(int fd, int oldInterest) throws IOException {
        if (watched(oldInterest)) ctl(LinuxEpoll.EPOLL_CTL_DEL, fd, 0);
    }

    @Override
    public int poll(int timeoutMillis, FiredEvents fired) throws IOException {
        int n = LinuxEpoll.epollWait(cs, epfd, ready, capacity, timeoutMillis);
        if (n < 0) {
            int errno = Posix.errno(cs);
            if (errno == Errno.EINTR) return 0;
            throw new NativeIOException("epoll_wait(epfd=" + epfd + ")", errno);
        }
        int filled = 0;
        for (int i = 0; i < n; i++) {
            long base = i * EVENT_SIZE;
            int fd = (int) ready.get(JAVA_LONG_UNALIGNED, base + DATA_OFFSET);
            if (fd == waker.fd()) waker.drain();
            else fired.set(filled++, fd, fromEpoll(ready.get(JAVA_INT, base)));
        }
        return filled;
    }

    @Override public void wakeup() { waker.wake(); }

    @Override
    public void close() throws IOException {
        try {
            waker.close();
        } finally {
            int r = Posix.close(cs, epfd);
            int errno = Posix.errno(cs);
            arena.close();
            if (r < 0) throw new NativeIOException("close(epfd=" + epfd + ")", errno);
        }
    }
}
