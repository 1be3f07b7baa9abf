package hpio.loop.backends;

import static hpio.nativeio.BsdKqueue.EVFILT_READ;
import static hpio.nativeio.BsdKqueue.EVFILT_WRITE;
import static hpio.nativeio.BsdKqueue.EV_ADD;
import static hpio.nativeio.BsdKqueue.EV_CLEAR;
import static hpio.nativeio.BsdKqueue.EV_DELETE;
import static hpio.nativeio.BsdKqueue.EV_EOF;
import static hpio.nativeio.BsdKqueue.EV_ERROR;
import static hpio.nativeio.BsdKqueue.FFLAGS_OFFSET;
import static hpio.nativeio.BsdKqueue.FILTER_OFFSET;
import static hpio.nativeio.BsdKqueue.FLAGS_OFFSET;
import static hpio.nativeio.BsdKqueue.IDENT_OFFSET;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import hpio.loop.Backend;
import hpio.loop.Events;
import hpio.loop.FiredEvents;
import hpio.nativeio.BsdKqueue;
import hpio.nativeio.Errno;
import hpio.nativeio.NativeIOException;
import hpio.nativeio.Posix;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * macOS and FreeBSD kqueue(2): like epoll, the kernel keeps the interest list and a
 * wait costs O(ready). Unlike epoll, it watches (ident, filter) pairs: READ and WRITE
 * are two separate registrations (EVFILT_READ, EVFILT_WRITE), added and deleted
 * one by one as the interest changes, and each fires as its own event. The wake-up
 * is a third kind, EVFILT_USER, which needs no fd at all (as in Netty's kqueue loop).
 */
public final class KqueueBackend implements Backend {
    /** The calls this backend makes: the real ones, or (in the tests on Linux) a recording fake. */
    interface Syscalls {
        int kqueue(MemorySegment cs);
        int kevent(MemorySegment cs, int kq, MemorySegment changes, int nChanges,
                   MemorySegment events, int nEvents, MemorySegment timeout);
        int close(MemorySegment cs, int fd);
    }

    private static final Syscalls REAL = new Syscalls() {
        @Override public int kqueue(MemorySegment cs) { return BsdKqueue.kqueue(cs); }
        @Override public int kevent(MemorySegment cs, int kq, MemorySegment changes, int nChanges,
                                    MemorySegment events, int nEvents, MemorySegment timeout) {
            return BsdKqueue.kevent(cs, kq, changes, nChanges, events, nEvents, timeout);
        }
        @Override public int close(MemorySegment cs, int fd) { return Posix.close(cs, fd); }
    };

    /** EVFILT_USER idents are a namespace of their own, not fds: 0 cannot clash with fd 0's filters. */
    static final int WAKEUP_IDENT = 0;
    private static final short[] FILTERS = {EVFILT_READ, EVFILT_WRITE};

    private final Syscalls sys;
    private final short evfiltUser;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment cs = Posix.newCallState(arena);       // the loop thread's
    private final MemorySegment timeout = arena.allocate(BsdKqueue.TIMESPEC);
    private final MemorySegment change;
    private final MemorySegment ready;
    private final long keventSize;
    private final int capacity;
    private final int kq;
    // wakeup() runs on other threads: its own change and call state, written under
    // wakeLock, which close() also takes, so none is used after the arena is gone.
    private final Object wakeLock = new Object();
    private final MemorySegment trigger;
    private final MemorySegment wakeCs = Posix.newCallState(arena);
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private boolean closed;                                           // guarded by wakeLock
    // What update() has applied so far, as the changes that would undo it (at most four).
    private final short[] undoFilter = new short[4];
    private final int[] undoFlags = new int[4];
    private int undoCount;

    public KqueueBackend(int batchSize) throws IOException {
        this(batchSize, REAL, BsdKqueue.abi());
    }

    KqueueBackend(int batchSize, Syscalls sys, BsdKqueue.Abi abi) throws IOException {
        this.sys = sys;
        evfiltUser = abi.evfiltUser();
        capacity = batchSize;
        keventSize = abi.kevent().byteSize();
        // Zeroed once: fflags, data, udata (and FreeBSD 12's ext[4]) are never written.
        change = arena.allocate(abi.kevent());
        trigger = arena.allocate(abi.kevent());
        ready = arena.allocate(abi.kevent(), batchSize);
        kq = sys.kqueue(cs);
        if (kq < 0) {
            int errno = Posix.errno(cs);
            arena.close();
            throw new NativeIOException("kqueue()", errno);
        }
        try {
            // EV_CLEAR: delivering the event resets it, so one trigger wakes one wait.
            submit(WAKEUP_IDENT, evfiltUser, EV_ADD | EV_CLEAR);
        } catch (NativeIOException e) {
            sys.close(cs, kq);
            arena.close();
            throw e;
        }
        trigger.set(JAVA_LONG, IDENT_OFFSET, WAKEUP_IDENT);
        trigger.set(JAVA_SHORT, FILTER_OFFSET, evfiltUser);
        trigger.set(JAVA_INT, FFLAGS_OFFSET, BsdKqueue.NOTE_TRIGGER);    // flags stay 0: no EV_ADD
    }

    @Override public String name() { return "kqueue"; }

    @Override public boolean supportsEdgeTriggered() { return true; }

    private static boolean watches(int interest, short filter) {
        return (interest & (filter == EVFILT_READ ? Events.READ : Events.WRITE)) != 0;
    }

    // snippet-start kqueue-update
    /**
     * Moves fd from interest {@code from} to {@code to} so that it cannot half-apply:
     * adds first (an extra filter for a moment is harmless: the loop masks events by
     * interest), deletes last, and on a failure the changes already made are undone
     * in reverse, so the kernel holds the old interest, as the loop's table still says.
     * (If even an undo fails, it rides along as a suppressed exception.)
     */
    private void update(int fd, int from, int to) throws NativeIOException {
        int oldAdd = EV_ADD | ((from & Events.EDGE) != 0 ? EV_CLEAR : 0);
        // Edge-triggered: EV_CLEAR resets the filter's state once it is delivered, so
        // it fires again only on new data; the handler must drain to EAGAIN.
        int newAdd = EV_ADD | ((to & Events.EDGE) != 0 ? EV_CLEAR : 0);   // EV_ADD also enables
        undoCount = 0;
        try {
            for (short f : FILTERS) if (watches(to, f) && !watches(from, f)) apply(fd, f, newAdd, EV_DELETE);
            // EV_CLEAR is fixed when a filter is added (a later EV_ADD keeps it), so a
            // switch between level and edge deletes and re-adds each kept filter.
            for (short f : FILTERS) {
                if (oldAdd == newAdd || !watches(to, f) || !watches(from, f)) continue;
                apply(fd, f, EV_DELETE, oldAdd);
                apply(fd, f, newAdd, EV_DELETE);
            }
            for (short f : FILTERS) if (watches(from, f) && !watches(to, f)) apply(fd, f, EV_DELETE, oldAdd);
        } catch (NativeIOException e) {
            while (undoCount > 0) {
                undoCount--;
                try { submit(fd, undoFilter[undoCount], undoFlags[undoCount]); }
                catch (NativeIOException u) { e.addSuppressed(u); }
            }
            throw e;
        }
    }

    private void apply(int fd, short filter, int flags, int undo) throws NativeIOException {
        submit(fd, filter, flags);
        undoFilter[undoCount] = filter;
        undoFlags[undoCount++] = undo;                     // what would take this change back
    }
    // snippet-end kqueue-update

    /**
     * One kevent() call per change, as Redis's ae_kqueue.c does: simple, and the
     * error names its filter. With no eventlist (nevents = 0) a failed change makes
     * kevent return -1 with errno (were there room, it would come back as an
     * EV_ERROR entry instead), and the call returns at once without waiting.
     * (Batching all changes into one call with EV_RECEIPT would save syscalls.)
     */
    // snippet-start kqueue-submit
    private void submit(int ident, short filter, int flags) throws NativeIOException {
        change.set(JAVA_LONG, IDENT_OFFSET, ident);
        change.set(JAVA_SHORT, FILTER_OFFSET, filter);
        change.set(JAVA_SHORT, FLAGS_OFFSET, (short) flags);
        int r;
        do r = sys.kevent(cs, kq, change, 1, MemorySegment.NULL, 0, MemorySegment.NULL);
        while (r < 0 && Posix.errno(cs) == Errno.EINTR);
        if (r >= 0) return;
        int errno = Posix.errno(cs);
        // Deleting what is gone counts as done (libuv's uv__kqueue_delete): ENOENT, the
        // filter is not there; EBADF, the fd was closed first, and close(2) drops its filters.
        if ((flags & EV_DELETE) != 0 && (errno == Errno.ENOENT || errno == Errno.EBADF)) return;
        String action = (flags & EV_DELETE) != 0 ? "EV_DELETE" : (flags & EV_CLEAR) != 0 ? "EV_ADD|EV_CLEAR" : "EV_ADD";
        String what = filter == evfiltUser ? "EVFILT_USER, ident=" : BsdKqueue.filterName(filter) + ", fd=";
        throw new NativeIOException("kevent(" + action + " " + what + ident + ")", errno);
    }
    // snippet-end kqueue-submit

    @Override public void add(int fd, int interest) throws IOException { update(fd, 0, interest); }

    @Override public void modify(int fd, int from, int to) throws IOException { update(fd, from, to); }

    /**
     * The loop has already forgotten fd, so nothing is undone here: every filter is
     * deleted even after one fails, and the first failure is thrown.
     */
    @Override
    public void remove(int fd, int oldInterest) throws IOException {
        NativeIOException failure = null;
        for (short f : FILTERS) {
            if (!watches(oldInterest, f)) continue;
            try { submit(fd, f, EV_DELETE); }
            catch (NativeIOException e) { if (failure == null) failure = e; else failure.addSuppressed(e); }
        }
        if (failure != null) throw failure;
    }

    static int fromKevent(short filter, int flags, int fflags) {
        // EV_ERROR marks a change that failed (data = its errno), not readiness. Our
        // changes fail as -1 from submit(), so none should reach a wait; if one did,
        // it concerns that fd alone: its handler hears ERROR and meets the real
        // error on its next read or write, instead of the whole loop failing.
        if ((flags & EV_ERROR) != 0) return Events.ERROR;
        int events = filter == EVFILT_READ ? Events.READ : filter == EVFILT_WRITE ? Events.WRITE : 0;
        // EV_EOF: the peer shut down (read filter) or sending is over (write filter).
        // fflags then holds the socket's pending error (ECONNRESET, ECONNREFUSED), if any.
        if ((flags & EV_EOF) != 0) events |= fflags != 0 ? Events.HUP | Events.ERROR : Events.HUP;
        return events;
    }

    @Override
    public int poll(int timeoutMillis, FiredEvents fired) throws IOException {
        // snippet-start kqueue-wait
        MemorySegment ts = MemorySegment.NULL;             // NULL: wait without limit
        if (timeoutMillis >= 0) {
            timeout.set(JAVA_LONG, 0, timeoutMillis / 1000);                    // tv_sec
            timeout.set(JAVA_LONG, 8, (timeoutMillis % 1000) * 1_000_000L);     // tv_nsec
            ts = timeout;
        }
        int n = sys.kevent(cs, kq, MemorySegment.NULL, 0, ready, capacity, ts);
        if (n < 0) {
            int errno = Posix.errno(cs);
            if (errno == Errno.EINTR) return 0;            // a signal: the caller's loop comes round again
            throw new NativeIOException("kevent(wait, kq=" + kq + ")", errno);
        }
        int filled = 0;
        for (int i = 0; i < n; i++) {
            long base = i * keventSize;
            short filter = ready.get(JAVA_SHORT, base + FILTER_OFFSET);
            if (filter == evfiltUser) {
                // Our own wake-up, not an event for the loop. Re-armed only now that it
                // has arrived: a wakeup() from here on triggers again. (Re-armed before the
                // wait instead, a wakeup() between the last wait and this one would find the
                // flag still set, send nothing, and the wait could sleep through it.)
                wakePending.set(false);
                continue;
            }
            int fd = (int) ready.get(JAVA_LONG, base + IDENT_OFFSET);
            int events = fromKevent(filter, Short.toUnsignedInt(ready.get(JAVA_SHORT, base + FLAGS_OFFSET)),
                    ready.get(JAVA_INT, base + FFLAGS_OFFSET));
            // A readable and writable fd comes back as two entries (one per filter).
            // Adjacent ones are merged; others stay separate, which the loop accepts.
            if (filled > 0 && fired.fd(filled - 1) == fd) {
                fired.set(filled - 1, fd, fired.events(filled - 1) | events);
            } else {
                fired.set(filled++, fd, events);
            }
        }
        return filled;
        // snippet-end kqueue-wait
    }

    /** Any thread. One NOTE_TRIGGER per wait at most: later calls see one on its way. */
    @Override
    public void wakeup() {
        if (!wakePending.compareAndSet(false, true)) return;
        synchronized (wakeLock) {
            if (closed) return;                            // the kq number may belong to someone else by now
            int r;
            do r = sys.kevent(wakeCs, kq, trigger, 1, MemorySegment.NULL, 0, MemorySegment.NULL);
            while (r < 0 && Posix.errno(wakeCs) == Errno.EINTR);
            if (r < 0) {
                wakePending.set(false);                    // let the next call try again
                throw new UncheckedIOException(new NativeIOException(
                        "kevent(NOTE_TRIGGER EVFILT_USER, ident=" + WAKEUP_IDENT + ")", Posix.errno(wakeCs)));
            }
        }
    }

    /** Closing the kqueue drops every filter in it, the wake-up's included. */
    @Override
    public void close() throws IOException {
        synchronized (wakeLock) {
            if (closed) return;
            closed = true;
        }
        int r = sys.close(cs, kq);
        int errno = Posix.errno(cs);
        arena.close();
        if (r < 0) throw new NativeIOException("close(kq=" + kq + ")", errno);
    }
}
