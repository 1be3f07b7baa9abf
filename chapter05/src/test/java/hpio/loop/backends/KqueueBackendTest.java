package hpio.loop.backends;

import static hpio.nativeio.BsdKqueue.EVFILT_READ;
import static hpio.nativeio.BsdKqueue.EVFILT_WRITE;
import static hpio.nativeio.BsdKqueue.EV_ADD;
import static hpio.nativeio.BsdKqueue.EV_CLEAR;
import static hpio.nativeio.BsdKqueue.EV_DELETE;
import static hpio.nativeio.BsdKqueue.EV_EOF;
import static hpio.nativeio.BsdKqueue.EV_ERROR;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hpio.loop.Events;
import hpio.loop.FiredEvents;
import hpio.nativeio.BsdKqueue;
import hpio.nativeio.Errno;
import hpio.nativeio.NativeIOException;
import java.io.IOException;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kqueue backend's translation, on any OS: the kernel is a recording fake that
 * decodes each change the backend submits and writes canned events back, in the
 * 32-byte (macOS, FreeBSD &lt; 12) and the 64-byte (FreeBSD 12+) struct kevent.
 */
class KqueueBackendTest {
    static final int KQ = 1000;
    static final int BATCH = 8;

    static Stream<StructLayout> layouts() {
        return Stream.of(BsdKqueue.KEVENT_32, BsdKqueue.KEVENT_64);
    }

    /** One submitted change, every field decoded (the unused ones must be 0). */
    record Change(long ident, short filter, int flags, int fflags, long data, long udata, long ext) {
        Change(int fd, short filter, int flags) { this(fd, filter, flags, 0, 0, 0, 0); }
    }

    /** A kernel that records what it is told and answers what the test scripted. */
    static final class FakeKernel implements KqueueBackend.Syscalls {
        static final long ERRNO_OFFSET = Linker.Option.captureStateLayout().byteOffset(groupElement("errno"));

        final StructLayout kevent;
        final List<Change> changes = new ArrayList<>();
        final List<long[]> timeouts = new ArrayList<>();   // {tv_sec, tv_nsec}, or null for NULL
        final List<long[]> readyEvents = new ArrayList<>();  // {ident, filter, flags, fflags, data}
        int waitedWithCapacity = -1;
        int failKqueueWith;
        int failChangeWith;
        int failWaitWith;
        int closedFd = -1;

        FakeKernel(StructLayout kevent) { this.kevent = kevent; }

        void ready(int fd, short filter, int flags, int fflags, long data) {
            readyEvents.add(new long[] {fd, filter, flags, fflags, data});
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
        public int kevent(MemorySegment cs, int kq, MemorySegment list, int nChanges,
                          MemorySegment events, int nEvents, MemorySegment timeout) {
            assertThat(kq).isEqualTo(KQ);
            if (nChanges > 0) {
                // The backend sends changes with no eventlist, so failures come back as -1.
                assertThat(nEvents).isZero();
                assertThat(events).isEqualTo(MemorySegment.NULL);
                if (failChangeWith != 0) return fail(cs, failChangeWith);
                MemorySegment all = list.reinterpret(nChanges * kevent.byteSize());
                for (int i = 0; i < nChanges; i++) {
                    MemorySegment k = all.asSlice(i * kevent.byteSize(), kevent.byteSize());
                    long ext = 0;
                    for (long off = 32; off < kevent.byteSize(); off += 8) ext |= k.get(JAVA_LONG, off);
                    changes.add(new Change(k.get(JAVA_LONG, 0), k.get(JAVA_SHORT, 8),
                            Short.toUnsignedInt(k.get(JAVA_SHORT, 10)), k.get(JAVA_INT, 12),
                            k.get(JAVA_LONG, 16), k.get(JAVA_LONG, 24), ext));
                }
                return 0;
            }
            waitedWithCapacity = nEvents;
            timeouts.add(timeout.equals(MemorySegment.NULL) ? null : new long[] {
                    timeout.reinterpret(16).get(JAVA_LONG, 0), timeout.reinterpret(16).get(JAVA_LONG, 8)});
            if (failWaitWith != 0) return fail(cs, failWaitWith);
            MemorySegment out = events.reinterpret(nEvents * kevent.byteSize());
            int n = Math.min(nEvents, readyEvents.size());
            for (int i = 0; i < n; i++) {
                long[] e = readyEvents.get(i);
                long base = i * kevent.byteSize();
                out.asSlice(base, kevent.byteSize()).fill((byte) 0x5a);   // garbage in the unused fields
                out.set(JAVA_LONG, base, e[0]);
                out.set(JAVA_SHORT, base + 8, (short) e[1]);
                out.set(JAVA_SHORT, base + 10, (short) e[2]);
                out.set(JAVA_INT, base + 12, (int) e[3]);
                out.set(JAVA_LONG, base + 16, e[4]);
            }
            readyEvents.clear();
            return n;
        }

        @Override
        public int close(MemorySegment cs, int fd) {
            closedFd = fd;
            return 0;
        }
    }

    private static KqueueBackend open(FakeKernel kernel) throws IOException {
        return new KqueueBackend(BATCH, kernel, kernel.kevent);
    }

    @ParameterizedTest @MethodSource("layouts")
    void addReadIsOneAddOfTheReadFilter(StructLayout layout) throws IOException {
        FakeKernel kernel = new FakeKernel(layout);
        try (KqueueBackend backend = open(kernel)) {
            backend.add(12, Events.READ);
        }
        assertThat(kernel.changes).containsExactly(new Change(12, EVFILT_READ, EV_ADD));
    }

    @ParameterizedTest @MethodSource("layouts")
    void addReadWriteAddsTwoFilters(StructLayout layout) throws IOException {
        FakeKernel kernel = new FakeKernel(layout);
        try (KqueueBackend backend = open(kernel)) {
            backend.add(7, Events.READ | Events.WRITE);
        }
        assertThat(kernel.changes).containsExactly(
                new Change(7, EVFILT_READ, EV_ADD), new Change(7, EVFILT_WRITE, EV_ADD));
    }

    @ParameterizedTest @MethodSource("layouts")
    void edgeIsEvClear(StructLayout layout) throws IOException {
        FakeKernel kernel = new FakeKernel(layout);
        try (KqueueBackend backend = open(kernel)) {
            backend.add(9, Events.READ | Events.EDGE);
        }
        assertThat(kernel.changes).containsExactly(new Change(9, EVFILT_READ, EV_ADD | EV_CLEAR));
    }

    @ParameterizedTest @MethodSource("layouts")
    void modifyReadToWriteDeletesReadAndAddsWrite(StructLayout layout) throws IOException {
        FakeKernel kernel = new FakeKernel(layout);
        try (KqueueBackend backend = open(kernel)) {
            backend.add(5, Events.READ);
            kernel.changes.clear();
            backend.modify(5, Events.READ, Events.WRITE);
        }
        assertThat(kernel.changes).containsExactly(
                new Change(5, EVFILT_READ, EV_DELETE), new Change(5, EVFILT_WRITE, EV_ADD));
    }

    @ParameterizedTest @MethodSource("layouts")
    void modifyTouchesOnlyTheFiltersThatChange(StructLayout layout) throws IOException {
        FakeKernel kernel = new FakeKernel(layout);
        try (KqueueBackend backend = open(kernel)) {
            backend.modify(5, Events.READ, Events.READ | Events.WRITE);
            backend.modify(5, Events.READ | Events.WRITE, Events.READ);
            backend.modify(5, Events.READ, Events.READ);
        }
        assertThat(kernel.changes).containsExactly(
                new Change(5, EVFILT_WRITE, EV_ADD), new Change(5, EVFILT_WRITE, EV_DELETE));
    }

    @ParameterizedTest @MethodSource("layouts")
    void switchingToEdgeReAddsTheFilterWithEvClear(StructLayout layout) throws IOException {
        // A later EV_ADD does not change an existing filter's EV_CLEAR: delete, then add.
        FakeKernel kernel = new FakeKernel(layout);
        try (KqueueBackend backend = open(kernel)) {
            backend.modify(5, Events.READ, Events.READ | Events.EDGE);
        }
        assertThat(kernel.changes).containsExactly(
                new Change(5, EVFILT_READ, EV_DELETE), new Change(5, EVFILT_READ, EV_ADD | EV_CLEAR));
    }

    @ParameterizedTest @MethodSource("layouts")
    void removeDeletesWhatWasRegistered(StructLayout layout) throws IOException {
        FakeKernel kernel = new FakeKernel(layout);
        try (KqueueBackend backend = open(kernel)) {
            backend.remove(3, Events.READ | Events.WRITE | Events.EDGE);
            backend.remove(4, Events.WRITE);
        }
        assertThat(kernel.changes).containsExactly(
                new Change(3, EVFILT_READ, EV_DELETE), new Change(3, EVFILT_WRITE, EV_DELETE),
                new Change(4, EVFILT_WRITE, EV_DELETE));
    }

    @ParameterizedTest @MethodSource("layouts")
    void pollTranslatesKernelEventsToOurFlags(StructLayout layout) throws IOException {
        FakeKernel kernel = new FakeKernel(layout);
        kernel.ready(10, EVFILT_READ, 0, 0, 5);                          // 5 bytes to read
        kernel.ready(11, EVFILT_WRITE, 0, 0, 1000);                      // room to write
        kernel.ready(12, EVFILT_READ, EV_EOF, 0, 0);                     // peer sent FIN
        kernel.ready(13, EVFILT_READ, EV_ERROR, 0, Errno.EBADF);         // a failed change
        kernel.ready(14, EVFILT_WRITE, EV_EOF, Errno.ECONNRESET, 0);     // EOF with a socket error
        FiredEvents fired = new FiredEvents(BATCH);
        int n;
        try (KqueueBackend backend = open(kernel)) {
            n = backend.poll(-1, fired);
        }
        assertThat(kernel.waitedWithCapacity).isEqualTo(BATCH);
        assertThat(n).isEqualTo(5);
        assertFired(fired, 0, 10, Events.READ);
        assertFired(fired, 1, 11, Events.WRITE);
        assertFired(fired, 2, 12, Events.READ | Events.HUP);
        assertFired(fired, 3, 13, Events.ERROR);
        assertFired(fired, 4, 14, Events.WRITE | Events.HUP | Events.ERROR);
    }

    @ParameterizedTest @MethodSource("layouts")
    void readAndWriteEntriesOfOneFdSideBySideAreMerged(StructLayout layout) throws IOException {
        FakeKernel kernel = new FakeKernel(layout);
        kernel.ready(20, EVFILT_READ, 0, 0, 1);
        kernel.ready(20, EVFILT_WRITE, 0, 0, 1);
        kernel.ready(21, EVFILT_READ, 0, 0, 1);
        kernel.ready(20, EVFILT_WRITE, 0, 0, 1);                         // not adjacent: stays apart
        FiredEvents fired = new FiredEvents(BATCH);
        int n;
        try (KqueueBackend backend = open(kernel)) {
            n = backend.poll(0, fired);
        }
        assertThat(n).isEqualTo(3);
        assertFired(fired, 0, 20, Events.READ | Events.WRITE);
        assertFired(fired, 1, 21, Events.READ);
        assertFired(fired, 2, 20, Events.WRITE);
    }

    @Test
    void pollInterruptedBySignalReturnsZero() throws IOException {
        FakeKernel kernel = new FakeKernel(BsdKqueue.KEVENT_32);
        kernel.failWaitWith = Errno.EINTR;
        try (KqueueBackend backend = open(kernel)) {
            assertThat(backend.poll(-1, new FiredEvents(BATCH))).isZero();
        }
    }

    @Test
    void otherWaitFailuresThrow() throws IOException {
        FakeKernel kernel = new FakeKernel(BsdKqueue.KEVENT_32);
        kernel.failWaitWith = Errno.EBADF;
        try (KqueueBackend backend = open(kernel)) {
            assertThatThrownBy(() -> backend.poll(100, new FiredEvents(BATCH)))
                    .isInstanceOf(NativeIOException.class)
                    .hasMessageStartingWith("kevent(wait, kq=" + KQ + ") failed: EBADF");
        }
    }

    @ParameterizedTest @MethodSource("layouts")
    void aFailingChangeNamesKeventTheFilterTheFdAndTheErrno(StructLayout layout) throws IOException {
        FakeKernel kernel = new FakeKernel(layout);
        kernel.failChangeWith = Errno.EBADF;
        try (KqueueBackend backend = open(kernel)) {
            assertThatThrownBy(() -> backend.add(12, Events.READ))
                    .isInstanceOf(NativeIOException.class)
                    .hasMessage("kevent(EV_ADD EVFILT_READ, fd=12) failed: EBADF (" + Errno.text(Errno.EBADF) + ")")
                    .satisfies(e -> assertThat(((NativeIOException) e).errno()).isEqualTo(Errno.EBADF));
            kernel.failChangeWith = Errno.ENOENT;
            assertThatThrownBy(() -> backend.remove(12, Events.WRITE))
                    .hasMessageStartingWith("kevent(EV_DELETE EVFILT_WRITE, fd=12) failed: ENOENT");
        }
    }

    @Test
    void aFailingKqueueThrows() {
        FakeKernel kernel = new FakeKernel(BsdKqueue.KEVENT_32);
        kernel.failKqueueWith = Errno.EMFILE;
        assertThatThrownBy(() -> open(kernel))
                .isInstanceOf(NativeIOException.class)
                .hasMessageStartingWith("kqueue() failed: EMFILE");
    }

    @Test
    void timeoutBecomesATimespecOrNull() throws IOException {
        FakeKernel kernel = new FakeKernel(BsdKqueue.KEVENT_64);
        FiredEvents fired = new FiredEvents(BATCH);
        try (KqueueBackend backend = open(kernel)) {
            backend.poll(-1, fired);
            backend.poll(0, fired);
            backend.poll(1500, fired);
        }
        assertThat(kernel.timeouts).hasSize(3);
        assertThat(kernel.timeouts.get(0)).isNull();                         // wait without limit
        assertThat(kernel.timeouts.get(1)).containsExactly(0, 0);            // do not wait
        assertThat(kernel.timeouts.get(2)).containsExactly(1, 500_000_000);
    }

    @Test
    void closeClosesTheKqueue() throws IOException {
        FakeKernel kernel = new FakeKernel(BsdKqueue.KEVENT_32);
        open(kernel).close();
        assertThat(kernel.closedFd).isEqualTo(KQ);
    }

    private static void assertFired(FiredEvents fired, int index, int fd, int events) {
        assertThat(fired.fd(index)).as("fd of entry %d", index).isEqualTo(fd);
        assertThat(Events.toString(fired.events(index)))
                .as("events of entry %d (fd %d)", index, fd).isEqualTo(Events.toString(events));
    }
}
