package hpio.loop.backends;

import static hpio.loop.backends.FakeKqueue.add;
import static hpio.nativeio.BsdKqueue.EVFILT_READ;
import static hpio.nativeio.BsdKqueue.EV_CLEAR;
import static hpio.nativeio.BsdKqueue.NOTE_TRIGGER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import hpio.loop.Events;
import hpio.loop.FiredEvents;
import hpio.nativeio.BsdKqueue;
import hpio.nativeio.Errno;
import hpio.nativeio.NativeIOException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kqueue backend's wake-up, EVFILT_USER with NOTE_TRIGGER (Netty's kqueue loop
 * does the same): no fd at all, registered once, triggered from any thread with its
 * own change and errno segment, swallowed by the wait, inert after close.
 */
class KqueueWakeupTest {
    static Stream<BsdKqueue.Abi> abis() {
        return Stream.of(BsdKqueue.MACOS, BsdKqueue.FREEBSD_11, BsdKqueue.FREEBSD_12);
    }

    @ParameterizedTest @MethodSource("abis")
    void theConstructorRegistersOneUserEventWithEvClearAndOpensNoFd(BsdKqueue.Abi abi) throws IOException {
        FakeKqueue kernel = new FakeKqueue(abi);
        try (KqueueBackend backend = new KqueueBackend(FakeKqueue.BATCH, kernel, abi)) {
            // The Syscalls seam has no pipe, eventfd or fcntl: kqueue() and kevent() are all it makes.
            assertThat(kernel.changes).containsExactly(kernel.registration());
            assertThat(kernel.registered).containsOnlyKeys(new FakeKqueue.Key(0, abi.evfiltUser()));
            assertThat(kernel.registered.values()).containsExactly(EV_CLEAR);
        }
        assertThat(abi.evfiltUser()).isEqualTo(abi == BsdKqueue.MACOS ? (short) -10 : (short) -11);
    }

    @Test
    void aFailingRegistrationClosesTheKqueueAndSaysWhat() {
        FakeKqueue kernel = new FakeKqueue(BsdKqueue.FREEBSD_12);
        kernel.failChange(1, Errno.ENOMEM);
        assertThatThrownBy(() -> new KqueueBackend(FakeKqueue.BATCH, kernel, kernel.abi))
                .isInstanceOf(NativeIOException.class)
                .hasMessageStartingWith("kevent(EV_ADD|EV_CLEAR EVFILT_USER, ident=0) failed: ENOMEM");
        assertThat(kernel.closedFd).isEqualTo(FakeKqueue.KQ);
    }

    @ParameterizedTest @MethodSource("abis")
    void wakeupFromAnotherThreadTriggersTheUserEventWithItsOwnSegments(BsdKqueue.Abi abi) throws Exception {
        FakeKqueue kernel = new FakeKqueue(abi);
        try (KqueueBackend backend = kernel.open()) {
            backend.add(12, Events.READ);                            // on the loop's thread
            Thread other = Thread.ofPlatform().name("waker").start(backend::wakeup);
            other.join();
            assertThat(kernel.changes).containsExactly(add(12, EVFILT_READ), kernel.trigger());
            assertThat(kernel.changes.get(1).fflags()).isEqualTo(NOTE_TRIGGER);
            assertThat(kernel.threads.get(1)).isSameAs(other);
            // Not the loop's segments: the loop thread may be writing them at this moment.
            assertThat(kernel.callStates.get(1)).as("errno segment").isNotEqualTo(kernel.callStates.get(0));
            assertThat(kernel.changeLists.get(1)).as("change list").isNotEqualTo(kernel.changeLists.get(0));
            assertThat(kernel.triggers).isOne();
        }
    }

    @ParameterizedTest @MethodSource("abis")
    void theWaitSwallowsTheUserEvent(BsdKqueue.Abi abi) throws IOException {
        FakeKqueue kernel = new FakeKqueue(abi);
        FiredEvents fired = new FiredEvents(FakeKqueue.BATCH);
        try (KqueueBackend backend = kernel.open()) {
            kernel.ready(KqueueBackend.WAKEUP_IDENT, abi.evfiltUser(), EV_CLEAR, 0, 0);
            assertThat(backend.poll(-1, fired)).as("a wake-up alone: 0 events").isZero();
            // Ident 0 is also fd 0: the filter, not the ident, tells the wake-up apart.
            kernel.ready(0, EVFILT_READ, 0, 0, 3);
            kernel.ready(KqueueBackend.WAKEUP_IDENT, abi.evfiltUser(), EV_CLEAR, 0, 0);
            kernel.ready(7, EVFILT_READ, 0, 0, 1);
            assertThat(backend.poll(-1, fired)).isEqualTo(2);
        }
        assertThat(fired.fd(0)).isZero();
        assertThat(fired.events(0)).isEqualTo(Events.READ);
        assertThat(fired.fd(1)).isEqualTo(7);
    }

    @Test
    void wakeupsBeforeTheWaitDeliversThemTriggerOnce() throws IOException {
        FakeKqueue kernel = new FakeKqueue(BsdKqueue.MACOS);
        try (KqueueBackend backend = kernel.open()) {
            backend.wakeup();
            backend.wakeup();
            backend.wakeup();
            assertThat(kernel.triggers).isOne();
            assertThat(backend.poll(0, new FiredEvents(FakeKqueue.BATCH))).as("the wake-up is not an event").isZero();
            backend.wakeup();                                      // delivered: the next one triggers again
            assertThat(kernel.triggers).isEqualTo(2);
        }
    }

    /**
     * A wake-up that comes after a wait returned (with an earlier wake-up) and before
     * the next wait begins must still end that next wait: re-arming at the start of the
     * next wait would swallow it, and the loop would sleep through a stop().
     */
    @Test
    void aWakeupBetweenTwoWaitsEndsTheNextWait() throws IOException {
        FakeKqueue kernel = new FakeKqueue(BsdKqueue.MACOS);
        try (KqueueBackend backend = kernel.open()) {
            FiredEvents fired = new FiredEvents(FakeKqueue.BATCH);
            backend.wakeup();                                       // W1
            backend.poll(-1, fired);                                // returns with W1
            backend.wakeup();                                       // W2: after that wait, before the next
            assertThat(kernel.triggers).as("W2 must reach the kernel").isEqualTo(2);
            assertThat(backend.poll(-1, fired)).as("the next wait returns with W2, no event for the loop").isZero();
        }
    }

    @Test
    void aFailingTriggerThrowsAndTheNextWakeupTriesAgain() throws IOException {
        FakeKqueue kernel = new FakeKqueue(BsdKqueue.FREEBSD_12);
        try (KqueueBackend backend = kernel.open()) {
            kernel.failChange(1, Errno.ENOMEM);
            assertThatThrownBy(backend::wakeup)
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining("kevent(NOTE_TRIGGER EVFILT_USER, ident=0) failed: ENOMEM");
            backend.wakeup();
            assertThat(kernel.triggers).isOne();
        }
    }

    @Test
    void wakeupAfterCloseDoesNothing() throws Exception {
        FakeKqueue kernel = new FakeKqueue(BsdKqueue.MACOS);
        KqueueBackend backend = kernel.open();
        backend.close();
        backend.wakeup();
        Thread other = Thread.ofPlatform().start(backend::wakeup);
        other.join();
        assertThat(kernel.changes).isEmpty();
        backend.close();                                             // twice: still nothing
        assertThat(kernel.changes).isEmpty();
    }

    @Test
    void wakeupsRacingWithCloseNeverTouchTheFreedSegments() throws Exception {
        // A wake-up after the arena is closed would fail in the fake's read of the
        // change (IllegalStateException); so would one using the kq after close.
        FakeKqueue kernel = new FakeKqueue(BsdKqueue.FREEBSD_12);
        KqueueBackend backend = kernel.open();
        List<Throwable> thrown = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread[] wakers = new Thread[2];
        for (int i = 0; i < wakers.length; i++) {
            wakers[i] = Thread.ofPlatform().start(() -> {
                try {
                    while (!stop.get()) backend.wakeup();
                } catch (Throwable t) {
                    thrown.add(t);
                }
            });
        }
        FiredEvents fired = new FiredEvents(FakeKqueue.BATCH);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (triggers(kernel) < 200 && thrown.isEmpty()) {             // the wakers are busy: close now
            if (System.nanoTime() - deadline > 0) fail("the wakers made no 200 triggers within 10 s");
            backend.poll(0, fired);
        }
        backend.close();
        stop.set(true);
        for (Thread t : wakers) t.join();
        assertThat(thrown).isEmpty();
    }

    private static int triggers(FakeKqueue kernel) {
        synchronized (kernel) {
            return kernel.triggers;
        }
    }
}
