package hpio.loop.backends;

import static hpio.nativeio.BsdKqueue.EVFILT_READ;
import static hpio.nativeio.BsdKqueue.EVFILT_WRITE;
import static hpio.nativeio.BsdKqueue.EV_ADD;
import static hpio.nativeio.BsdKqueue.EV_CLEAR;
import static hpio.nativeio.BsdKqueue.EV_DELETE;
import static hpio.nativeio.BsdKqueue.NOTE_TRIGGER;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import hpio.nativeio.BsdKqueue;
import hpio.nativeio.Errno;
import java.io.IOException;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A kqueue for the tests on any OS (the real one exists on macOS and FreeBSD only):
 * it records every change the backend submits, every field decoded; keeps a model
 * of the filters registered, answering a change as a kqueue would (EV_DELETE of
 * what is not there: ENOENT; a later EV_ADD keeps the EV_CLEAR of the first); fails
 * the Nth change with a given errno on request; and writes canned events back in
 * the ABI's struct kevent.
 */
final class FakeKqueue implements KqueueBackend.Syscalls {
    static final int KQ = 1000;
    static final int BATCH = 8;
    static final long ERRNO_OFFSET = Linker.Option.captureStateLayout().byteOffset(groupElement("errno"));

    /** One submitted change, every field decoded (the unused ones must be 0), and the errno it failed with (0: done). */
    record Change(long ident, short filter, int flags, int fflags, long data, long udata, long ext, int errno) {
        Change(long ident, short filter, int flags) { this(ident, filter, flags, 0, 0, 0, 0, 0); }

        Change failed(int e) { return new Change(ident, filter, flags, fflags, data, udata, ext, e); }
    }

    static Change add(int fd, short filter) { return new Change(fd, filter, EV_ADD); }

    static Change addEdge(int fd, short filter) { return new Change(fd, filter, EV_ADD | EV_CLEAR); }

    static Change delete(int fd, short filter) { return new Change(fd, filter, EV_DELETE); }

    record Key(long ident, short filter) {}

    final BsdKqueue.Abi abi;
    final long size;
    final List<Change> changes = new ArrayList<>();      // every change, in order, failed ones included
    final List<Long> callStates = new ArrayList<>();     // per change: the errno segment's address
    final List<Long> changeLists = new ArrayList<>();    // per change: the change list's address
    final List<Thread> threads = new ArrayList<>();      // per change: the calling thread
    /** The kernel's side: the filters registered, with the EV_CLEAR fixed when each was added. */
    final Map<Key, Integer> registered = new LinkedHashMap<>();
    final Map<Integer, Integer> failAt = new HashMap<>(); // index into changes -> errno
    final List<long[]> timeouts = new ArrayList<>();     // {tv_sec, tv_nsec}, or null for NULL
    final List<long[]> readyEvents = new ArrayList<>();  // {ident, filter, flags, fflags, data}
    int waitedWithCapacity = -1;
    int triggers;
    private boolean userEventPending;    // a trigger not yet delivered by a wait
    int failKqueueWith;
    int failWaitWith;
    int closedFd = -1;

    FakeKqueue(BsdKqueue.Abi abi) {
        this.abi = abi;
        size = abi.kevent().byteSize();
    }

    /** A backend on this fake, its constructor's one change (the wake-up's registration) checked and forgotten. */
    KqueueBackend open() throws IOException {
        KqueueBackend backend = new KqueueBackend(BATCH, this, abi);
        assertThat(changes).containsExactly(registration());
        forgetChanges();
        return backend;
    }

    /** The wake-up's registration: EVFILT_USER, EV_CLEAR so that one delivery resets it. */
    Change registration() { return new Change(KqueueBackend.WAKEUP_IDENT, abi.evfiltUser(), EV_ADD | EV_CLEAR); }

    /** The wake-up: the same user event, no action flags, NOTE_TRIGGER in fflags. */
    Change trigger() { return new Change(KqueueBackend.WAKEUP_IDENT, abi.evfiltUser(), 0, NOTE_TRIGGER, 0, 0, 0, 0); }

    /** The {@code nth} change from now (1: the next one) fails with {@code errno}. */
    void failChange(int nth, int errno) { failAt.put(changes.size() + nth - 1, errno); }

    void ready(long ident, short filter, int flags, int fflags, long data) {
        readyEvents.add(new long[] {ident, filter, flags, fflags, data});
    }

    void forgetChanges() {
        failAt.clear();
        changes.clear();
        callStates.clear();
        changeLists.clear();
        threads.clear();
    }

    /** What the kernel holds for fd, e.g. ["EVFILT_READ", "EVFILT_WRITE EV_CLEAR"]. */
    List<String> filtersOf(int fd) {
        List<String> held = new ArrayList<>();
        for (short f : new short[] {EVFILT_READ, EVFILT_WRITE}) {
            Integer flags = registered.get(new Key(fd, f));
            if (flags != null) held.add(BsdKqueue.filterName(f) + ((flags & EV_CLEAR) != 0 ? " EV_CLEAR" : ""));
        }
        return held;
    }

    private static int fail(MemorySegment cs, int errno) {
        cs.set(JAVA_INT, ERRNO_OFFSET, errno);
        return -1;
    }

    @Override
    public int kqueue(MemorySegment cs) {
        return failKqueueWith != 0 ? fail(cs, failKqueueWith) : KQ;
    }

    @Override
    public synchronized int kevent(MemorySegment cs, int kq, MemorySegment list, int nChanges,
                                   MemorySegment events, int nEvents, MemorySegment timeout) {
        assertThat(kq).isEqualTo(KQ);
        if (nChanges > 0) {
            // The backend sends one change at a time with no eventlist, so failures come back as -1.
            assertThat(nChanges).isOne();
            assertThat(nEvents).isZero();
            assertThat(events).isEqualTo(MemorySegment.NULL);
            MemorySegment k = list.reinterpret(size);
            long ext = 0;
            for (long off = 32; off < size; off += 8) ext |= k.get(JAVA_LONG, off);
            Change c = new Change(k.get(JAVA_LONG, 0), k.get(JAVA_SHORT, 8),
                    Short.toUnsignedInt(k.get(JAVA_SHORT, 10)), k.get(JAVA_INT, 12),
                    k.get(JAVA_LONG, 16), k.get(JAVA_LONG, 24), ext, 0);
            int errno = failAt.getOrDefault(changes.size(), 0);
            if (errno == 0) errno = apply(c);
            changes.add(c.failed(errno));
            callStates.add(cs.address());
            changeLists.add(list.address());
            threads.add(Thread.currentThread());
            return errno == 0 ? 0 : fail(cs, errno);
        }
        waitedWithCapacity = nEvents;
        timeouts.add(timeout.equals(MemorySegment.NULL) ? null : new long[] {
                timeout.reinterpret(16).get(JAVA_LONG, 0), timeout.reinterpret(16).get(JAVA_LONG, 8)});
        if (failWaitWith != 0) return fail(cs, failWaitWith);
        MemorySegment out = events.reinterpret(nEvents * size);
        int n = Math.min(nEvents, readyEvents.size());
        for (int i = 0; i < n; i++) {
            long[] e = readyEvents.get(i);
            long base = i * size;
            out.asSlice(base, size).fill((byte) 0x5a);   // garbage in the unused fields
            out.set(JAVA_LONG, base, e[0]);
            out.set(JAVA_SHORT, base + 8, (short) e[1]);
            out.set(JAVA_SHORT, base + 10, (short) e[2]);
            out.set(JAVA_INT, base + 12, (int) e[3]);
            out.set(JAVA_LONG, base + 16, e[4]);
        }
        for (int i = 0; i < n; i++) if (readyEvents.get(i)[1] == abi.evfiltUser()) userEventPending = false;
        readyEvents.subList(0, n).clear();
        return n;
    }

    /** The model: what a kqueue does with one change; 0 or the errno it fails with. */
    private int apply(Change c) {
        Key key = new Key(c.ident(), c.filter());
        if ((c.flags() & EV_DELETE) != 0) return registered.remove(key) != null ? 0 : Errno.ENOENT;
        if ((c.flags() & EV_ADD) != 0) {
            registered.putIfAbsent(key, c.flags() & EV_CLEAR);   // a later EV_ADD keeps EV_CLEAR as it was
            return 0;
        }
        if (c.filter() == abi.evfiltUser() && (c.fflags() & NOTE_TRIGGER) != 0) {
            if (!registered.containsKey(key)) return Errno.ENOENT;
            triggers++;
            // EV_CLEAR: one event pending until a wait delivers it, however many triggers.
            if (!userEventPending) readyEvents.add(new long[] {c.ident(), c.filter(), EV_CLEAR, NOTE_TRIGGER, 0});
            userEventPending = true;
            return 0;
        }
        return Errno.EINVAL;
    }

    @Override
    public int close(MemorySegment cs, int fd) {
        closedFd = fd;
        return 0;
    }
}
