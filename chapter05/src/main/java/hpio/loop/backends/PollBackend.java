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
    private int[] indexOf = new int[64];      // fd -> index in pollfds, valid only while registered

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

    @Override
    public void add(int fd, int interest) {
        if (count * SIZE == pollfds.byteSize()) {
            MemorySegment bigger = Arena.ofAuto().allocate(Posix.POLLFD, count * 2L);
            bigger.copyFrom(pollfds);
            pollfds = bigger;
        }
        if (fd >= indexOf.length) indexOf = Arrays.copyOf(indexOf, Math.max(fd + 1, indexOf.length * 2));
        long at = count * SIZE;
        pollfds.set(JAVA_INT, at + FD, fd);
        pollfds.set(JAVA_SHORT, at + EVENTS, toPoll(interest));
        pollfds.set(JAVA_SHORT, at + REVENTS, (short) 0);
        indexOf[fd] = count++;
    }

    @Override
    public void modify(int fd, int oldInterest, int newInterest) {
        pollfds.set(JAVA_SHORT, indexOf[fd] * SIZE + EVENTS, toPoll(newInterest));
    }

    @Override
    public void remove(int fd, int oldInterest) {
        int at = indexOf[fd];
        int last = --count;
        if (at != last) {
            MemorySegment.copy(pollfds, last * SIZE, pollfds, at * SIZE, SIZE);
            indexOf[pollfds.get(JAVA_INT, at * SIZE + FD)] = at;
        }
    }

    @Override
    public int poll(int timeoutMillis, FiredEvents fired) throws IOException {
        int ready = Posix.poll(cs, pollfds, count, timeoutMillis);
        if (ready < 0) {
            int errno = Posix.errno(cs);
            if (errno == Errno.EINTR) return 0;
            throw new NativeIOException("poll(nfds=" + count + ")", errno);
        }
        // The kernel tells us how many entries are ready, not which: scan for them.
        int n = 0;
        for (int i = 0; i < count && n < ready && n < fired.capacity(); i++) {
            short revents = pollfds.get(JAVA_SHORT, i * SIZE + REVENTS);
            if (revents != 0) fired.set(n++, pollfds.get(JAVA_INT, i * SIZE + FD), fromPoll(revents));
        }
        return n;
    }

    @Override
    public void close() {
        count = 0;
    }
}
