package hpio.loop.backends;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import hpio.loop.Backend;
import hpio.loop.Events;
import hpio.loop.FiredEvents;
import hpio.nativeio.Errno;
import hpio.nativeio.NativeIOException;
import hpio.nativeio.Posix;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * poll(2): no FD_SETSIZE limit, but the whole pollfd array goes to the kernel and
 * is scanned on every wait, so each wait is O(registered). The array is kept
 * compact: a removed entry is filled by the last one.
 */
public final class PollBackend implements Backend {
    private static final long FD = 0, EVENTS = 4, REVENTS = 6;
    private static final long SIZE = Posix.POLLFD.byteSize();   // 8

    private final MemorySegment cs = Posix.newCallState(Arena.ofAuto());
    private MemorySegment pollfds = Arena.ofAuto().allocate(Posix.POLLFD, 64);
    private int count;
    private int scanStart;
    private int[] indexOf = new int[64];      // fd -> index in pollfds, valid only while registered
    private final FdWaker waker;

    public PollBackend() throws IOException {
        waker = new FdWaker();
        add(waker.fd(), Events.READ);             // an entry like any other; poll() keeps it to itself
    }

    @Override public String name() { return "poll"; }

    @Override public boolean supportsEdgeTriggered() { return false; }

    static short toPoll(int interest) {
        int e = 0;
        if ((interest & Events.READ) != 0) e |= Posix.POLLIN;
        if ((interest & Events.WRITE) != 0) e |= Posix.POLLOUT;
        return (short) e;
    }

    static int fromPoll(int revents) {
        int events = 0;
        if ((revents & Posix.POLLIN) != 0) events |= Events.READ;
        if ((revents & Posix.POLLOUT) != 0) events |= Events.WRITE;
        if ((revents & (Posix.POLLERR | Posix.POLLNVAL)) != 0) events |= Events.ERROR;
        if ((revents & Posix.POLLHUP) != 0) events |= Events.HUP;
        return events;
    }

    /**
     * An fd watched for nothing is stored negated: poll(2) skips negative fds. Left
     * in, it would still report POLLHUP and POLLERR, and a paused socket whose peer
     * hung up would wake every wait.
     */
    private static int entryFd(int fd, int interest) {
        return (interest & (Events.READ | Events.WRITE)) != 0 ? fd : ~fd;
    }

    @Override
    public void add(int fd, int interest) {
        if (count * SIZE == pollfds.byteSize()) {
            MemorySegment bigger = Arena.ofAuto().allocate(Posix.POLLFD, count * 2L);
            bigger.copyFrom(pollfds);
            pollfds = bigger;
        }
        if (fd >= indexOf.length) indexOf = Arrays.copyOf(indexOf, Math.max(fd + 1, indexOf.length * 2));
        long at = count * SIZE;
        pollfds.set(JAVA_INT, at + FD, entryFd(fd, interest));
        pollfds.set(JAVA_SHORT, at + EVENTS, toPoll(interest));
        pollfds.set(JAVA_SHORT, at + REVENTS, (short) 0);
        indexOf[fd] = count++;
    }

    @Override
    public void modify(int fd, int oldInterest, int newInterest) {
        long at = indexOf[fd] * SIZE;
        pollfds.set(JAVA_INT, at + FD, entryFd(fd, newInterest));
        pollfds.set(JAVA_SHORT, at + EVENTS, toPoll(newInterest));
    }

    @Override
    public void remove(int fd, int oldInterest) {
        int at = indexOf[fd];
        int last = --count;
        if (at != last) {
            MemorySegment.copy(pollfds, last * SIZE, pollfds, at * SIZE, SIZE);
            int moved = pollfds.get(JAVA_INT, at * SIZE + FD);
            indexOf[moved < 0 ? ~moved : moved] = at;
        }
    }

    @Override
    public int poll(int timeoutMillis, FiredEvents fired) throws IOException {
        // snippet-start poll-wait
        int ready = Posix.poll(cs, pollfds, count, timeoutMillis);
        if (ready < 0) {
            int errno = Posix.errno(cs);
            if (errno == Errno.EINTR) return 0;
            throw new NativeIOException("poll(nfds=" + count + ")", errno);
        }
        // The kernel tells us how many entries are ready, not which: scan for them.
        // Each scan starts where the last stopped, so when more are ready than a
        // batch holds, the fds late in the array get their turn too.
        int n = 0, seen = 0;
        int i = scanStart < count ? scanStart : 0;
        for (int k = 0; k < count && seen < ready && n < fired.capacity(); k++) {
            short revents = pollfds.get(JAVA_SHORT, i * SIZE + REVENTS);
            if (revents != 0) {
                seen++;
                int fd = pollfds.get(JAVA_INT, i * SIZE + FD);
                if (fd == waker.fd()) waker.drain();          // our own wake-up, not an event for the loop
                else fired.set(n++, fd, fromPoll(revents));
            }
            if (++i == count) i = 0;
        }
        scanStart = i;
        return n;
        // snippet-end poll-wait
    }

    @Override
    public void wakeup() { waker.wake(); }

    @Override
    public void close() throws IOException {
        count = 0;
        waker.close();
    }
}
