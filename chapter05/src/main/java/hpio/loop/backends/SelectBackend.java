package hpio.loop.backends;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import hpio.loop.Backend;
import hpio.loop.Events;
import hpio.loop.FiredEvents;
import hpio.nativeio.Errno;
import hpio.nativeio.NativeIOException;
import hpio.nativeio.Posix;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * select(2), the baseline the chapter starts from: fixed-size bit sets, at most
 * FD_SETSIZE (1024) descriptors, rebuilt and scanned in full on every wait.
 */
public final class SelectBackend implements Backend {
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment cs = Posix.newCallState(arena);
    private final MemorySegment readSet = arena.allocate(Posix.FD_SET);
    private final MemorySegment writeSet = arena.allocate(Posix.FD_SET);
    private final MemorySegment timeval = arena.allocate(Posix.TIMEVAL);

    private final int[] fds = new int[Posix.FD_SETSIZE];        // registered fds, compact
    private final int[] indexOf = new int[Posix.FD_SETSIZE];
    private final int[] interest = new int[Posix.FD_SETSIZE];
    private int count;
    private int scanStart;
    private final FdWaker waker;

    public SelectBackend() throws IOException {
        waker = new FdWaker();
        try {
            add(waker.fd(), Events.READ);         // watched like any fd; poll() keeps it to itself
        } catch (IOException e) {
            waker.close();
            throw e;
        }
    }

    @Override public String name() { return "select"; }

    @Override public boolean supportsEdgeTriggered() { return false; }

    /** Bit FD_SETSIZE is past the end of an fd_set: 1023 is the last fd select can watch. */
    @Override public int maxFd() { return Posix.FD_SETSIZE - 1; }

    @Override
    public void add(int fd, int newInterest) throws IOException {
        // snippet-start select-fdsetsize
        // An fd_set is a 1024-bit array: setting bit 1024 or more would write past
        // its end. Refuse here, loudly, rather than corrupt memory.
        if (fd >= Posix.FD_SETSIZE) {
            throw new IOException("select: fd " + fd + " is not below FD_SETSIZE (" + Posix.FD_SETSIZE
                    + "); select(2) cannot watch it (use poll, epoll or nio)");
        }
        // snippet-end select-fdsetsize
        fds[count] = fd;
        indexOf[fd] = count++;
        interest[fd] = newInterest;
    }

    @Override
    public void modify(int fd, int oldInterest, int newInterest) { interest[fd] = newInterest; }

    @Override
    public void remove(int fd, int oldInterest) {
        int at = indexOf[fd];
        int last = fds[--count];
        fds[at] = last;
        indexOf[last] = at;
    }

    private static boolean isSet(MemorySegment set, int fd) {
        return (set.getAtIndex(JAVA_LONG, fd >>> 6) & (1L << (fd & 63))) != 0;
    }

    private static void setBit(MemorySegment set, int fd) {
        long word = set.getAtIndex(JAVA_LONG, fd >>> 6);
        set.setAtIndex(JAVA_LONG, fd >>> 6, word | (1L << (fd & 63)));
    }

    @Override
    public int poll(int timeoutMillis, FiredEvents fired) throws IOException {
        // snippet-start select-rebuild
        // select() overwrites its sets with the answer, so they must be cleared
        // and rebuilt from our own list before every call: O(n) work before the
        // kernel even starts its own O(n) scan. (Bit fd is byte fd/8, bit fd%8 on
        // every little-endian platform, whether the words are 32 or 64 bits.)
        int maxFd = -1;
        readSet.fill((byte) 0);
        writeSet.fill((byte) 0);
        for (int i = 0; i < count; i++) {
            int fd = fds[i];
            if ((interest[fd] & Events.READ) != 0) setBit(readSet, fd);
            if ((interest[fd] & Events.WRITE) != 0) setBit(writeSet, fd);
            if (fd > maxFd) maxFd = fd;
        }
        // snippet-start select-call
        // snippet-end select-rebuild
        MemorySegment timeout = MemorySegment.NULL;
        if (timeoutMillis >= 0) {
            timeval.set(JAVA_LONG, 0, timeoutMillis / 1000);
            timeval.set(JAVA_LONG, 8, (timeoutMillis % 1000) * 1000L);
            timeout = timeval;
        }
        int ready = Posix.select(cs, maxFd + 1, readSet, writeSet, MemorySegment.NULL, timeout);
        if (ready < 0) {
            int errno = Posix.errno(cs);
            if (errno == Errno.EINTR) return 0;
            throw new NativeIOException("select(nfds=" + (maxFd + 1) + ")", errno);
        }
        // snippet-start select-scan
        // snippet-end select-call
        // And the answer is a bit set too: scan every registered fd to find them.
        // Each scan starts where the last one stopped, so when more are ready than
        // a batch holds, the fds late in the list get their turn too.
        int n = 0, seen = 0;
        int i = scanStart < count ? scanStart : 0;
        for (int k = 0; k < count && seen < ready && n < fired.capacity(); k++) {
            int fd = fds[i];
            int events = 0;
            if (isSet(readSet, fd)) events |= Events.READ;
            if (isSet(writeSet, fd)) events |= Events.WRITE;
            if (events != 0) {
                seen += Integer.bitCount(events);            // select counts each set a bit is in
                if (fd == waker.fd()) waker.drain();
                else fired.set(n++, fd, events);
            }
            if (++i == count) i = 0;
        }
        scanStart = i;
        return n;
        // snippet-end select-scan
    }

    @Override
    public void wakeup() { waker.wake(); }

    @Override
    public void close() throws IOException {
        count = 0;
        waker.close();
    }
}
