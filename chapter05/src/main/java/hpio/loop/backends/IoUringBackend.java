package hpio.loop.backends;

import static hpio.nativeio.LinuxIoUring.IORING_CQE_F_MORE;
import static hpio.nativeio.LinuxIoUring.IORING_POLL_ADD_MULTI;

import hpio.loop.Backend;
import hpio.loop.Events;
import hpio.loop.FiredEvents;
import hpio.nativeio.IoUringRing;
import hpio.nativeio.LinuxIoUring;
import hpio.nativeio.NativeIOException;
import java.io.IOException;
import java.util.Arrays;

/**
 * Readiness through io_uring: an IORING_OP_POLL_ADD per watched fd, its CQE
 * translated into our flags. Changes are queued and go to the kernel with the
 * next wait, in the same io_uring_enter: no system call per add, modify or remove.
 *
 * <p>A poll's user_data carries the fd and a generation, bumped by every change:
 * a CQE from a poll that was removed or replaced (it may already sit in the CQ
 * when the change is made) has an old generation and is dropped.
 *
 * <p>Level-triggered (the default) is a one-shot poll re-armed before the next
 * wait: the kernel checks the fd again as it arms it, so an fd left unread is
 * reported again, as with epoll. A multishot poll would not do: it reports each
 * wake-up (new data), not a level (IoUringRingTest pins this down). That is
 * edge-triggered, so {@link Events#EDGE} is a multishot poll, re-armed only
 * when its CQE comes without IORING_CQE_F_MORE (the kernel ended it, e.g. when
 * the CQ overflowed).
 *
 * <p>An armed poll holds a reference to the fd's open file. An fd removed and then
 * closed within one turn is really closed (its FIN sent) only when the next wait
 * submits the POLL_REMOVE, microseconds later; with epoll, close() alone does it.
 */
public final class IoUringBackend implements Backend {
    private static final long WAKER = -1L;           // user_data of the waker's poll
    private static final long IGNORED = -2L;         // user_data of our POLL_REMOVEs: their result is not news

    private final IoUringRing ring;
    private final FdWaker waker;
    private final int capacity;
    private int[] interest = new int[64];            // by fd: what is wanted (0: nothing)
    private int[] generation = new int[64];          // by fd: bumped by each add, modify, remove
    private long[] inKernel = new long[64];          // by fd: user_data of its poll in flight, 0 if none
    private int[] dirty = new int[64];               // fds whose poll must be (re)armed or removed
    private boolean[] isDirty = new boolean[64];
    private int dirtyCount;
    private boolean wakerArmed;

    public IoUringBackend(int batchSize) throws IOException {
        this(batchSize, 256, 4096);
    }

    /** With the ring's sizes given (tests use tiny ones to fill the SQ and overflow the CQ). */
    public IoUringBackend(int batchSize, int sqEntries, int cqEntries) throws IOException {
        capacity = batchSize;
        ring = IoUringRing.open(sqEntries, cqEntries, 0);
        try {
            waker = new FdWaker();
        } catch (IOException | RuntimeException e) {
            ring.close();
            throw e;
        }
    }

    @Override public String name() { return "io_uring"; }

    @Override public boolean supportsEdgeTriggered() { return true; }

    // snippet-start io-uring-translate
    static int toPoll(int interest) {
        int e = 0;
        if ((interest & Events.READ) != 0) e |= LinuxIoUring.POLLIN | LinuxIoUring.POLLRDHUP;
        if ((interest & Events.WRITE) != 0) e |= LinuxIoUring.POLLOUT;
        return e;                                    // ERR and HUP are always reported
    }

    static int fromPoll(int mask) {
        int events = 0;
        if ((mask & LinuxIoUring.POLLIN) != 0) events |= Events.READ;
        if ((mask & LinuxIoUring.POLLOUT) != 0) events |= Events.WRITE;
        if ((mask & LinuxIoUring.POLLERR) != 0) events |= Events.ERROR;
        if ((mask & (LinuxIoUring.POLLHUP | LinuxIoUring.POLLRDHUP)) != 0) events |= Events.HUP;
        return events;
    }
    // snippet-end io-uring-translate

    private static long userData(int fd, int generation) {
        return ((long) generation << 32) | fd;
    }

    /** Records the change; the kernel hears of it at the next wait. */
    private void changed(int fd, int newInterest) {
        if (fd >= interest.length) grow(fd);
        interest[fd] = newInterest;
        generation[fd] = (generation[fd] + 1) & 0x7fff_ffff;   // old CQEs of this fd are stale from now on
        markDirty(fd);
    }

    private void markDirty(int fd) {
        if (isDirty[fd]) return;
        isDirty[fd] = true;
        if (dirtyCount == dirty.length) dirty = Arrays.copyOf(dirty, dirtyCount * 2);
        dirty[dirtyCount++] = fd;
    }

    private void grow(int fd) {
        int n = Math.max(fd + 1, interest.length * 2);
        interest = Arrays.copyOf(interest, n);
        generation = Arrays.copyOf(generation, n);
        inKernel = Arrays.copyOf(inKernel, n);
        isDirty = Arrays.copyOf(isDirty, n);
    }

    @Override public void add(int fd, int interest) { changed(fd, interest); }

    @Override public void modify(int fd, int oldInterest, int newInterest) { changed(fd, newInterest); }

    @Override public void remove(int fd, int oldInterest) { changed(fd, 0); }

    // snippet-start io-uring-flush
    /**
     * Turns the queued changes into SQEs: remove the outdated poll, arm the wanted
     * one. A full SQ is submitted on the way. If the kernel takes no more (EBUSY:
     * completions it cannot post yet), the rest stays queued: the wait reaps, and
     * the next flush goes on where this one stopped.
     */
    private void flushChanges() throws IOException {
        if (!wakerArmed) {
            if (!room() || !ring.prepPollAdd(waker.fd(), LinuxIoUring.POLLIN, IORING_POLL_ADD_MULTI, WAKER)) return;
            wakerArmed = true;
        }
        int done = 0;
        for (; done < dirtyCount; done++) {
            int fd = dirty[done];
            long current = userData(fd, generation[fd]);
            if (inKernel[fd] != 0 && inKernel[fd] != current) {
                if (!room()) break;
                ring.prepPollRemove(inKernel[fd], IGNORED);
                inKernel[fd] = 0;
            }
            int want = interest[fd];
            if ((want & (Events.READ | Events.WRITE)) != 0 && inKernel[fd] == 0) {
                if (!room()) break;
                // Level: one shot, re-armed after each report. Edge: multishot.
                ring.prepPollAdd(fd, toPoll(want), (want & Events.EDGE) != 0 ? IORING_POLL_ADD_MULTI : 0, current);
                inKernel[fd] = current;
            }
            isDirty[fd] = false;
        }
        System.arraycopy(dirty, done, dirty, 0, dirtyCount - done);
        dirtyCount -= done;
    }
    // snippet-end io-uring-flush

    /** Whether an SQE is free, submitting the full SQ first (no wait) if need be. */
    private boolean room() throws NativeIOException {
        return ring.sqSpace() > 0 || ring.submit() > 0 || ring.sqSpace() > 0;
    }

    @Override
    public int poll(int timeoutMillis, FiredEvents fired) throws IOException {
        flushChanges();
        // One io_uring_enter: submits the changes and waits. Skipped when completions
        // are already waiting and there is nothing to submit or flush from overflow.
        if (ring.sqSpace() < ring.sqEntries() || ring.cqReady() == 0 || ring.cqOverflowPending()) {
            ring.submitAndWait(1, timeoutMillis < 0 ? -1 : timeoutMillis * 1_000_000L);
        }
        int max = Math.min(capacity, fired.capacity());
        int ready = ring.cqReady(), seen = 0, filled = 0;
        for (; seen < ready && filled < max; seen++) {
            long ud = ring.cqeUserData(seen);
            int events = translate(ud, ring.cqeRes(seen), ring.cqeFlags(seen));
            if (events != 0) fired.set(filled++, (int) ud, events);
        }
        ring.cqAdvance(seen);
        return filled;
    }

    /** One CQE: our flags for its fd, or 0 when it is not news (stale, ours, cancelled). */
    private int translate(long ud, int res, int cqeFlags) throws IOException {
        boolean ended = (cqeFlags & IORING_CQE_F_MORE) == 0;
        if (ud == WAKER) {
            if (ended) wakerArmed = false;
            waker.drain();                               // our own wake-up, not an event for the loop
            return 0;
        }
        int fd = (int) ud;
        if (ud == IGNORED || fd < 0 || fd >= inKernel.length || inKernel[fd] != ud) return 0;   // stale
        if (ended) {
            inKernel[fd] = 0;
            // A kernel refusal (say EBADF) is reported once, as ERROR, and not re-armed:
            // re-arming would spin. The handler's next read or write names the error.
            if (res < 0) return Events.ERROR;
            markDirty(fd);                               // level: re-armed before the next wait
        }
        return res < 0 ? Events.ERROR : fromPoll(res);
    }

    @Override
    public void wakeup() { waker.wake(); }

    @Override
    public void close() throws IOException {
        try {
            waker.close();
        } finally {
            ring.close();                                // the kernel drops every poll still armed
        }
    }
}
