package hpio.nativeio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The ring on the real kernel: eventfds stand in for sockets (readable once written to). */
class IoUringRingTest {
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment cs = Posix.newCallState(arena);
    private final MemorySegment eight = arena.allocate(8, 8);
    private final List<Integer> fds = new ArrayList<>();
    private IoUringRing ring;

    @BeforeAll
    static void onlyWhereIoUringWorks() {
        String reason = LinuxIoUring.unavailableReason();
        if (reason != null) System.out.println("IoUringRingTest skipped: " + reason);
        assumeTrue(reason == null, reason);
    }

    @AfterEach
    void close() {
        if (ring != null) ring.close();
        for (int fd : fds) Posix.close(cs, fd);
        arena.close();
    }

    private int eventfd() {
        int fd = LinuxEpoll.eventfd(cs, 0, LinuxEpoll.EFD_NONBLOCK | LinuxEpoll.EFD_CLOEXEC);
        assertThat(fd).isNotNegative();
        fds.add(fd);
        return fd;
    }

    private void signal(int fd) {
        eight.set(ValueLayout.JAVA_LONG, 0, 1L);
        assertThat(Posix.write(cs, fd, eight.address(), 8)).isEqualTo(8);
    }

    /** Waits (up to 10 s) and drains the CQ into user_data, res, flags triples. */
    private List<long[]> reap(int atLeast) throws NativeIOException {
        List<long[]> got = new ArrayList<>();
        long deadline = System.nanoTime() + 10_000_000_000L;
        do {
            ring.submitAndWait(1, 100_000_000L);
            int n = ring.cqReady();
            for (int i = 0; i < n; i++) got.add(new long[] {ring.cqeUserData(i), ring.cqeRes(i), ring.cqeFlags(i)});
            ring.cqAdvance(n);
        } while (got.size() < atLeast && System.nanoTime() < deadline);
        return got;
    }

    @Test
    void aNopCompletesWithItsUserData() throws NativeIOException {
        ring = IoUringRing.open(4, 0, 0);
        assertThat(ring.sqEntries()).isEqualTo(4);
        assertThat(ring.prepNop(0x1234_5678_9abcL)).isTrue();
        assertThat(ring.sqPending()).isEqualTo(1);
        List<long[]> got = reap(1);
        assertThat(got).hasSize(1);
        assertThat(got.getFirst()[0]).isEqualTo(0x1234_5678_9abcL);
        assertThat(got.getFirst()[1]).isZero();
    }

    /**
     * What the readiness backend builds on: a multishot poll reports each wake-up
     * (new data), not a level. Ready and never drained, it says so once; the next
     * write is a new CQE. (IORING_POLL_ADD_LEVEL with MULTI is refused: EINVAL.)
     */
    @Test
    void aMultishotPollReportsEachWakeUpNotALevel() throws NativeIOException {
        ring = IoUringRing.open(4, 0, 0);
        int fd = eventfd();
        signal(fd);
        assertThat(ring.prepPollAdd(fd, LinuxIoUring.POLLIN, LinuxIoUring.IORING_POLL_ADD_MULTI, 7)).isTrue();
        int seen = 0;
        for (int round = 0; round < 3; round++) {
            ring.submitAndWait(1, 50_000_000L);
            int n = ring.cqReady();
            for (int i = 0; i < n; i++) {
                assertThat(ring.cqeUserData(i)).isEqualTo(7);
                assertThat(ring.cqeRes(i) & LinuxIoUring.POLLIN).isNotZero();
                assertThat(ring.cqeFlags(i) & LinuxIoUring.IORING_CQE_F_MORE).as("still armed").isNotZero();
            }
            seen += n;
            ring.cqAdvance(n);
        }
        assertThat(seen).as("CQEs for one readiness, never drained").isEqualTo(1);
        signal(fd);
        assertThat(reap(1)).hasSize(1);
    }

    @Test
    void aFullSubmissionQueueRefusesThenTakesMoreAfterASubmit() throws NativeIOException {
        ring = IoUringRing.open(4, 0, 0);
        for (int i = 0; i < 4; i++) assertThat(ring.prepNop(i)).isTrue();
        assertThat(ring.sqSpace()).isZero();
        assertThat(ring.prepNop(4)).as("SQ full").isFalse();
        assertThat(ring.submit()).isEqualTo(4);
        assertThat(ring.sqSpace()).isEqualTo(4);
        assertThat(ring.prepNop(4)).isTrue();
        List<long[]> got = reap(5);
        assertThat(got).extracting(c -> c[0]).containsExactlyInAnyOrder(0L, 1L, 2L, 3L, 4L);
    }

    /**
     * 64 ready fds, a CQ of 8: the completions that find it full wait in the
     * kernel's overflow list (IORING_FEAT_NODROP) and come out as the CQ drains.
     */
    @Test
    void aTinyCompletionQueueOverflowsAndLosesNothing() throws NativeIOException {
        ring = IoUringRing.open(4, 8, 0);
        assertThat(ring.cqEntries()).isEqualTo(8);
        int n = 64;
        for (int i = 0; i < n; i++) {
            int fd = eventfd();
            signal(fd);
            while (!ring.prepPollAdd(fd, LinuxIoUring.POLLIN, 0, 1000 + i)) assertThat(ring.submit()).isPositive();
        }
        ring.submit();
        assertThat(ring.cqReady()).isEqualTo(8);
        assertThat(ring.cqOverflowPending()).as("IORING_SQ_CQ_OVERFLOW").isTrue();
        List<long[]> got = reap(n);
        assertThat(got).extracting(c -> c[0]).doesNotHaveDuplicates().hasSize(n);
        assertThat(got).allSatisfy(c -> assertThat(c[1] & LinuxIoUring.POLLIN).isNotZero());
        assertThat(ring.cqOverflowPending()).isFalse();
        assertThat(ring.cqOverflowCount()).as("dropped").isZero();
    }

    @Test
    void aWaitWithATimeoutReturnsEmptyHanded() throws NativeIOException {
        ring = IoUringRing.open(4, 0, 0);
        ring.submitAndWait(1, 20_000_000L);            // ETIME inside: a normal return
        assertThat(ring.cqReady()).isZero();
    }

    @Test
    void aRemovedPollCompletesWithEcanceled() throws NativeIOException {
        ring = IoUringRing.open(4, 0, 0);
        int fd = eventfd();
        ring.prepPollAdd(fd, LinuxIoUring.POLLIN, LinuxIoUring.IORING_POLL_ADD_MULTI, 1);
        ring.prepPollRemove(1, 2);
        List<long[]> got = reap(2);
        assertThat(got).anySatisfy(c -> {
            assertThat(c[0]).isEqualTo(1);
            assertThat(c[1]).isEqualTo(-LinuxIoUring.ECANCELED);
        });
        assertThat(got).anySatisfy(c -> assertThat(c[0]).isEqualTo(2));
    }

    /**
     * A signal during the wait: io_uring_enter fails with EINTR, and the wait ends
     * with no completion and no exception. SIGPIPE, sent to the waiting thread with
     * pthread_kill: the JVM has a handler for it (so the call is interrupted) that
     * does nothing else.
     */
    @Test
    void aSignalEndsTheWaitWithoutAnException() throws Throwable {
        java.lang.foreign.Linker linker = java.lang.foreign.Linker.nativeLinker();
        java.lang.invoke.MethodHandle self = linker.downcallHandle(Posix.symbol("pthread_self"),
                java.lang.foreign.FunctionDescriptor.of(ValueLayout.JAVA_LONG));
        java.lang.invoke.MethodHandle kill = linker.downcallHandle(Posix.symbol("pthread_kill"),
                java.lang.foreign.FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        ring = IoUringRing.open(4, 0, 0);
        long[] waiter = {0};
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                waiter[0] = (long) self.invokeExact();
                started.countDown();
                ring.submitAndWait(1, 60_000_000_000L);        // only a signal ends this early
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        started.await();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (t.isAlive() && System.nanoTime() < deadline) {
            int r = (int) kill.invokeExact(waiter[0], 13);      // SIGPIPE; again until the wait has begun
            assertThat(r).isZero();
            t.join(50);
        }
        assertThat(t.isAlive()).as("the wait ended by the signal").isFalse();
        assertThat(failed.get()).isNull();
        assertThat(ring.cqReady()).isZero();
    }
}
