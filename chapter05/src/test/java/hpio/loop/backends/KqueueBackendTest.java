package hpio.loop.backends;

import static hpio.loop.backends.FakeKqueue.add;
import static hpio.loop.backends.FakeKqueue.addEdge;
import static hpio.loop.backends.FakeKqueue.delete;
import static hpio.nativeio.BsdKqueue.EVFILT_READ;
import static hpio.nativeio.BsdKqueue.EVFILT_WRITE;
import static hpio.nativeio.BsdKqueue.EV_EOF;
import static hpio.nativeio.BsdKqueue.EV_ERROR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hpio.loop.Events;
import hpio.loop.FiredEvents;
import hpio.nativeio.BsdKqueue;
import hpio.nativeio.Errno;
import hpio.nativeio.NativeIOException;
import java.io.IOException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kqueue backend's translation, on any OS, against the recording fake kernel
 * {@link FakeKqueue}, for the three ABIs: macOS and FreeBSD's old libc (32-byte
 * struct kevent), FreeBSD 12+ (64 bytes).
 */
class KqueueBackendTest {
    static Stream<BsdKqueue.Abi> abis() {
        return Stream.of(BsdKqueue.MACOS, BsdKqueue.FREEBSD_11, BsdKqueue.FREEBSD_12);
    }

    // ---------------------------------------------------------------- translation

    @ParameterizedTest @MethodSource("abis")
    void addReadIsOneAddOfTheReadFilter(BsdKqueue.Abi abi) throws IOException {
        FakeKqueue kernel = new FakeKqueue(abi);
        try (KqueueBackend backend = kernel.open()) {
            backend.add(12, Events.READ);
        }
        assertThat(kernel.changes).containsExactly(add(12, EVFILT_READ));
    }

    @ParameterizedTest @MethodSource("abis")
    void addReadWriteAddsTwoFilters(BsdKqueue.Abi abi) throws IOException {
        FakeKqueue kernel = new FakeKqueue(abi);
        try (KqueueBackend backend = kernel.open()) {
            backend.add(7, Events.READ | Events.WRITE);
        }
        assertThat(kernel.changes).containsExactly(add(7, EVFILT_READ), add(7, EVFILT_WRITE));
    }

    @ParameterizedTest @MethodSource("abis")
    void edgeIsEvClear(BsdKqueue.Abi abi) throws IOException {
        FakeKqueue kernel = new FakeKqueue(abi);
        try (KqueueBackend backend = kernel.open()) {
            backend.add(9, Events.READ | Events.EDGE);
        }
        assertThat(kernel.changes).containsExactly(addEdge(9, EVFILT_READ));
    }

    @ParameterizedTest @MethodSource("abis")
    void modifyReadToWriteAddsWriteBeforeDeletingRead(BsdKqueue.Abi abi) throws IOException {
        FakeKqueue kernel = new FakeKqueue(abi);
        try (KqueueBackend backend = kernel.open()) {
            backend.add(5, Events.READ);
            kernel.forgetChanges();
            backend.modify(5, Events.READ, Events.WRITE);
        }
        assertThat(kernel.changes).containsExactly(add(5, EVFILT_WRITE), delete(5, EVFILT_READ));
        assertThat(kernel.filtersOf(5)).containsExactly("EVFILT_WRITE");
    }

    @ParameterizedTest @MethodSource("abis")
    void modifyTouchesOnlyTheFiltersThatChange(BsdKqueue.Abi abi) throws IOException {
        FakeKqueue kernel = new FakeKqueue(abi);
        try (KqueueBackend backend = kernel.open()) {
            backend.add(5, Events.READ);
            kernel.forgetChanges();
            backend.modify(5, Events.READ, Events.READ | Events.WRITE);
            backend.modify(5, Events.READ | Events.WRITE, Events.READ);
            backend.modify(5, Events.READ, Events.READ);
        }
        assertThat(kernel.changes).containsExactly(add(5, EVFILT_WRITE), delete(5, EVFILT_WRITE));
    }

    @ParameterizedTest @MethodSource("abis")
    void switchingToEdgeReAddsTheFilterWithEvClear(BsdKqueue.Abi abi) throws IOException {
        // A later EV_ADD does not change an existing filter's EV_CLEAR: delete, then add.
        FakeKqueue kernel = new FakeKqueue(abi);
        try (KqueueBackend backend = kernel.open()) {
            backend.add(5, Events.READ);
            kernel.forgetChanges();
            backend.modify(5, Events.READ, Events.READ | Events.EDGE);
        }
        assertThat(kernel.changes).containsExactly(delete(5, EVFILT_READ), addEdge(5, EVFILT_READ));
        assertThat(kernel.filtersOf(5)).containsExactly("EVFILT_READ EV_CLEAR");
    }

    @ParameterizedTest @MethodSource("abis")
    void removeDeletesWhatWasRegistered(BsdKqueue.Abi abi) throws IOException {
        FakeKqueue kernel = new FakeKqueue(abi);
        try (KqueueBackend backend = kernel.open()) {
            backend.add(3, Events.READ | Events.WRITE | Events.EDGE);
            backend.add(4, Events.WRITE);
            kernel.forgetChanges();
            backend.remove(3, Events.READ | Events.WRITE | Events.EDGE);
            backend.remove(4, Events.WRITE);
        }
        assertThat(kernel.changes).containsExactly(
                delete(3, EVFILT_READ), delete(3, EVFILT_WRITE), delete(4, EVFILT_WRITE));
        assertThat(kernel.filtersOf(3)).isEmpty();
        assertThat(kernel.filtersOf(4)).isEmpty();
    }

    @ParameterizedTest @MethodSource("abis")
    void pollTranslatesKernelEventsToOurFlags(BsdKqueue.Abi abi) throws IOException {
        FakeKqueue kernel = new FakeKqueue(abi);
        kernel.ready(10, EVFILT_READ, 0, 0, 5);                          // 5 bytes to read
        kernel.ready(11, EVFILT_WRITE, 0, 0, 1000);                      // room to write
        kernel.ready(12, EVFILT_READ, EV_EOF, 0, 0);                     // peer sent FIN
        kernel.ready(13, EVFILT_READ, EV_ERROR, 0, Errno.EBADF);         // a failed change
        kernel.ready(14, EVFILT_WRITE, EV_EOF, Errno.ECONNRESET, 0);     // EOF with a socket error
        FiredEvents fired = new FiredEvents(FakeKqueue.BATCH);
        int n;
        try (KqueueBackend backend = kernel.open()) {
            n = backend.poll(-1, fired);
        }
        assertThat(kernel.waitedWithCapacity).isEqualTo(FakeKqueue.BATCH);
        assertThat(n).isEqualTo(5);
        assertFired(fired, 0, 10, Events.READ);
        assertFired(fired, 1, 11, Events.WRITE);
        assertFired(fired, 2, 12, Events.READ | Events.HUP);
        assertFired(fired, 3, 13, Events.ERROR);
        assertFired(fired, 4, 14, Events.WRITE | Events.HUP | Events.ERROR);
    }

    @ParameterizedTest @MethodSource("abis")
    void readAndWriteEntriesOfOneFdSideBySideAreMerged(BsdKqueue.Abi abi) throws IOException {
        FakeKqueue kernel = new FakeKqueue(abi);
        kernel.ready(20, EVFILT_READ, 0, 0, 1);
        kernel.ready(20, EVFILT_WRITE, 0, 0, 1);
        kernel.ready(21, EVFILT_READ, 0, 0, 1);
        kernel.ready(20, EVFILT_WRITE, 0, 0, 1);                         // not adjacent: stays apart
        FiredEvents fired = new FiredEvents(FakeKqueue.BATCH);
        int n;
        try (KqueueBackend backend = kernel.open()) {
            n = backend.poll(0, fired);
        }
        assertThat(n).isEqualTo(3);
        assertFired(fired, 0, 20, Events.READ | Events.WRITE);
        assertFired(fired, 1, 21, Events.READ);
        assertFired(fired, 2, 20, Events.WRITE);
    }

    @Test
    void pollInterruptedBySignalReturnsZero() throws IOException {
        FakeKqueue kernel = new FakeKqueue(BsdKqueue.MACOS);
        kernel.failWaitWith = Errno.EINTR;
        try (KqueueBackend backend = kernel.open()) {
            assertThat(backend.poll(-1, new FiredEvents(FakeKqueue.BATCH))).isZero();
        }
    }

    @Test
    void otherWaitFailuresThrow() throws IOException {
        FakeKqueue kernel = new FakeKqueue(BsdKqueue.MACOS);
        kernel.failWaitWith = Errno.EBADF;
        try (KqueueBackend backend = kernel.open()) {
            assertThatThrownBy(() -> backend.poll(100, new FiredEvents(FakeKqueue.BATCH)))
                    .isInstanceOf(NativeIOException.class)
                    .hasMessageStartingWith("kevent(wait, kq=" + FakeKqueue.KQ + ") failed: EBADF");
        }
    }

    @ParameterizedTest @MethodSource("abis")
    void aFailingChangeNamesKeventTheFilterTheFdAndTheErrno(BsdKqueue.Abi abi) throws IOException {
        FakeKqueue kernel = new FakeKqueue(abi);
        try (KqueueBackend backend = kernel.open()) {
            kernel.failChange(1, Errno.EBADF);
            assertThatThrownBy(() -> backend.add(12, Events.READ))
                    .isInstanceOf(NativeIOException.class)
                    .hasMessage("kevent(EV_ADD EVFILT_READ, fd=12) failed: EBADF (" + Errno.text(Errno.EBADF) + ")")
                    .satisfies(e -> assertThat(((NativeIOException) e).errno()).isEqualTo(Errno.EBADF));
            backend.add(12, Events.WRITE);
            kernel.failChange(1, Errno.EINVAL);
            assertThatThrownBy(() -> backend.remove(12, Events.WRITE))
                    .hasMessageStartingWith("kevent(EV_DELETE EVFILT_WRITE, fd=12) failed: EINVAL");
        }
    }

    @Test
    void aFailingKqueueThrows() {
        FakeKqueue kernel = new FakeKqueue(BsdKqueue.MACOS);
        kernel.failKqueueWith = Errno.EMFILE;
        assertThatThrownBy(() -> new KqueueBackend(FakeKqueue.BATCH, kernel, kernel.abi))
                .isInstanceOf(NativeIOException.class)
                .hasMessageStartingWith("kqueue() failed: EMFILE");
    }

    @Test
    void timeoutBecomesATimespecOrNull() throws IOException {
        FakeKqueue kernel = new FakeKqueue(BsdKqueue.FREEBSD_12);
        FiredEvents fired = new FiredEvents(FakeKqueue.BATCH);
        try (KqueueBackend backend = kernel.open()) {
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
        FakeKqueue kernel = new FakeKqueue(BsdKqueue.MACOS);
        kernel.open().close();
        assertThat(kernel.closedFd).isEqualTo(FakeKqueue.KQ);
    }

    private static void assertFired(FiredEvents fired, int index, int fd, int events) {
        assertThat(fired.fd(index)).as("fd of entry %d", index).isEqualTo(fd);
        assertThat(Events.toString(fired.events(index)))
                .as("events of entry %d (fd %d)", index, fd).isEqualTo(Events.toString(events));
    }
}
