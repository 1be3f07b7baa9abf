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
 * Exercise 1: an epoll backend of your own ({@code -e student-epoll}), the
 * reference solution. The kernel keeps the interest list: a registration costs one
 * epoll_ctl per change, a wait costs O(ready), not O(registered).
 *
 * <p>Hints: {@code make hint EX=1}. Check: {@code make exercise EX=1}.
 */
// MUTANT (waker-reported): the waker is emptied but also handed to the loop as an event.
public final class StudentEpoll implements Backend {
    // ---------------------------------------------------------------- given
    private final Arena arena = Arena.ofShared();
    private final MemorySegment cs = Posix.newCallState(arena);      // errno of the last call
    private final MemorySegment change = arena.allocate(LinuxEpoll.EPOLL_EVENT);   // ctl's one epoll_event
    private final MemorySegment ready;       // epoll_wait's array: capacity epoll_events
    private final int capacity;
    private final int epfd;
    private final FdWaker waker;             // an eventfd we watch for READ ourselves: wakeup() makes it readable

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
            ctl(LinuxEpoll.EPOLL_CTL_ADD, w.fd(), Events.READ);     // level-triggered: poll() must empty it
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

    /**
     * One epoll_ctl: {@code op} on {@code fd}, with {@code interest} (our flags) put
     * through {@link #toEpoll} and the fd itself as the event's data (what
     * epoll_wait hands back). A refusal becomes a NativeIOException naming the op
     * and the errno: EEXIST (ADD of an fd already in the set), ENOENT (MOD or DEL of
     * one that is not), EBADF.
     */
    private void ctl(int op, int fd, int interest) throws NativeIOException {
        change.set(JAVA_INT, 0, toEpoll(interest));
        change.set(JAVA_LONG_UNALIGNED, DATA_OFFSET, fd);
        if (LinuxEpoll.epollCtl(cs, epfd, op, fd, change) < 0) {
            throw new NativeIOException("epoll_ctl(" + LinuxEpoll.ctlOpName(op) + ", fd=" + fd + ")", Posix.errno(cs));
        }
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

    /** For the tests: the epoll instance, whose interest list /proc/self/fdinfo/&lt;epfd&gt; shows. */
    int epfd() { return epfd; }

    /** For the tests: the waker's eventfd, whose count /proc/self/fdinfo/&lt;fd&gt; shows. */
    int wakerFd() { return waker.fd(); }

    // ---------------------------------------------------------------- the exercise

    static int toEpoll(int interest) {
        int e = 0;
        // EPOLLRDHUP: without it a peer's FIN (its shutdown(SHUT_WR) or close) is only
        // EPOLLIN, indistinguishable from data; EPOLLHUP comes only once both
        // directions are shut. With it, HUP can be reported on the half-close.
        if ((interest & Events.READ) != 0) e |= LinuxEpoll.EPOLLIN | LinuxEpoll.EPOLLRDHUP;
        if ((interest & Events.WRITE) != 0) e |= LinuxEpoll.EPOLLOUT;
        // Edge-triggered: reported when something new arrives, not while it stays
        // unread. A handler that stops before EAGAIN is told again only when more
        // arrives; if the peer is waiting for our reply instead, never.
        if ((interest & Events.EDGE) != 0) e |= LinuxEpoll.EPOLLET;
        // EPOLLERR and EPOLLHUP need no asking: epoll always reports them.
        return e;
    }

    static int fromEpoll(int e) {
        int events = 0;
        if ((e & LinuxEpoll.EPOLLIN) != 0) events |= Events.READ;
        if ((e & LinuxEpoll.EPOLLOUT) != 0) events |= Events.WRITE;
        if ((e & LinuxEpoll.EPOLLERR) != 0) events |= Events.ERROR;
        // Both kinds of hang-up are one HUP for us: the peer stopped sending
        // (EPOLLRDHUP), or both directions are gone (EPOLLHUP). Data may still be
        // buffered either way, which is why READ is kept beside it.
        if ((e & (LinuxEpoll.EPOLLHUP | LinuxEpoll.EPOLLRDHUP)) != 0) events |= Events.HUP;
        return events;
    }

    /**
     * Whether the kernel's set should hold the fd at all. An fd watched for nothing
     * is kept out of it: epoll reports EPOLLHUP and EPOLLERR even for events = 0, so
     * a paused socket whose peer hung up would wake every wait, forever (Redis's ae
     * and the JDK's EPollSelector do the same). EDGE alone watches nothing.
     */
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
        else if (now) ctl(LinuxEpoll.EPOLL_CTL_ADD, fd, newInterest);    // back from nothing: it had left the set
        else if (was) ctl(LinuxEpoll.EPOLL_CTL_DEL, fd, 0);              // down to nothing: out of the set
        // neither: it was not in the set and stays out; no system call
    }

    @Override
    public void remove(int fd, int oldInterest) throws IOException {
        if (watched(oldInterest)) ctl(LinuxEpoll.EPOLL_CTL_DEL, fd, 0);  // else it was never in the set (ENOENT)
    }

    @Override
    public int poll(int timeoutMillis, FiredEvents fired) throws IOException {
        int n = LinuxEpoll.epollWait(cs, epfd, ready, capacity, timeoutMillis);
        if (n < 0) {
            int errno = Posix.errno(cs);
            // A signal handler ran while we waited (a profiler's SIGPROF, SIGCHLD, the
            // JVM's own). epoll_wait is never restarted: 0 events, and the caller's
            // loop comes round again with a fresh timeout.
            if (errno == Errno.EINTR) return 0;
            throw new NativeIOException("epoll_wait(epfd=" + epfd + ")", errno);
        }
        int filled = 0;
        for (int i = 0; i < n; i++) {
            long base = i * EVENT_SIZE;
            int fd = (int) ready.get(JAVA_LONG_UNALIGNED, base + DATA_OFFSET);
            // Our own wake-up, not an event for the loop. Drained, or (level-triggered)
            // every later wait would return at once: a busy loop.
            if (fd == waker.fd()) waker.drain();
            fired.set(filled++, fd, fromEpoll(ready.get(JAVA_INT, base)));
        }
        return filled;
    }
}
