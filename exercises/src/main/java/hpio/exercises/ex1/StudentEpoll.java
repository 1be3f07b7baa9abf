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
 * <p>The event loop ({@code hpio.loop.EventLoop}) keeps the handlers and calls a
 * {@link Backend} for the kernel's part only: register an fd for our flags
 * ({@link Events#READ}, {@link Events#WRITE}, {@link Events#EDGE}), and wait, handing
 * back what fired in our flags ({@code READ}, {@code WRITE}, {@code ERROR},
 * {@code HUP}). Here that kernel is epoll(7): {@code man 7 epoll}, {@code man 2
 * epoll_ctl}, {@code man 2 epoll_wait}. The constructor, {@code ctl}, wake-up and
 * close are written; the four TODO(ex1) parts below are yours. The loop calls
 * {@code add} only for an fd it has not registered, {@code modify} and
 * {@code remove} only for one it has, and passes the previous interest in.
 *
 * <p>Hints: {@code make hint EX=1}. Check: {@code make exercise EX=1}. Then run the
 * balancer on it: {@code ./high_perf_lb 8080 127.0.0.1:9001 -e student-epoll}.
 */
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

    /**
     * Our interest flags as epoll's {@code events} mask, for epoll_ctl.
     * (The constructor already calls this, through {@code ctl}, for the waker.)
     */
    static int toEpoll(int interest) {
        // TODO(ex1): READ, WRITE and EDGE each become the epoll bits that make the
        // kernel report what our flag promises (Events' javadoc):
        //  - READ must also let a peer's half-close (its FIN, while we may still send)
        //    be told apart from data; without that, epoll reports it as plain EPOLLIN
        //    and HUP is never reported until both directions are gone.
        //  - EDGE must make the registration really edge-triggered: told when
        //    something new arrives, not while it stays unread.
        //  - nothing we did not ask for (no EPOLLIN for WRITE alone).
        // EPOLLERR and EPOLLHUP are reported whether asked for or not.
        throw new UnsupportedOperationException("TODO(ex1): toEpoll: READ, WRITE, EDGE as epoll's bits");
    }

    /** What epoll_wait reported for one fd, in our flags. */
    static int fromEpoll(int e) {
        // TODO(ex1): each epoll bit that fired becomes the flag the loop understands:
        // readable, writable, an error pending, and a hang-up. epoll has two kinds of
        // hang-up (the peer stopped sending; both directions are gone): the loop has
        // one HUP for both. Keep every flag that fired: data may still be buffered
        // behind a hang-up, so READ and HUP can come together.
        throw new UnsupportedOperationException("TODO(ex1): fromEpoll: epoll's bits as READ, WRITE, ERROR, HUP");
    }

    // TODO(ex1): add, modify and remove decide which epoll_ctl op (if any) keeps the
    // kernel's set equal to what the loop wants. What must hold:
    //  - an fd whose interest has neither READ nor WRITE is NOT in the kernel's set:
    //    epoll reports EPOLLHUP and EPOLLERR even for a registration with events = 0,
    //    so a paused socket whose peer hung up would wake every wait, forever.
    //    (EDGE alone watches nothing.)
    //  - so an fd coming back from no interest is not in the set (the kernel says
    //    ENOENT to MOD and DEL there), and one already in it cannot be added again
    //    (EEXIST).
    //  - an unchanged set needs no system call.
    // ctl(op, fd, interest) does the call and turns a refusal into an exception that
    // names the op and the errno.

    @Override
    public void add(int fd, int interest) throws IOException {
        throw new UnsupportedOperationException("TODO(ex1): add: into the kernel's set, if watched for anything");
    }

    @Override
    public void modify(int fd, int oldInterest, int newInterest) throws IOException {
        throw new UnsupportedOperationException("TODO(ex1): modify: MOD, ADD, DEL or nothing, from old and new interest");
    }

    @Override
    public void remove(int fd, int oldInterest) throws IOException {
        throw new UnsupportedOperationException("TODO(ex1): remove: out of the kernel's set, if it was in it");
    }

    /** Backend#poll: wait, then fill {@code fired} from index 0 with what the kernel reported. */
    @Override
    public int poll(int timeoutMillis, FiredEvents fired) throws IOException {
        // TODO(ex1): one epoll_wait into `ready` (at most `capacity` entries; each
        // entry is EVENT_SIZE bytes: the events mask at offset 0, the fd ctl stored at
        // DATA_OFFSET). What must hold:
        //  - timeoutMillis as epoll_wait takes it: -1 without limit, 0 not at all.
        //  - a signal handler that ran during the wait (EINTR) is not an error: it is
        //    0 events, and the call returns (epoll_wait is never restarted, and the
        //    caller's loop knows what its timeout should be now). Any other failure is
        //    a NativeIOException naming the call and the errno.
        //  - the waker's fd is ours: it is never reported to the loop, and once seen
        //    readable it is emptied (it is level-triggered: left readable, every later
        //    wait would return at once).
        //  - the return value counts the entries filled, which are our flags.
        throw new UnsupportedOperationException("TODO(ex1): poll: epoll_wait, EINTR, the waker, our flags");
    }
}
