package hpio.loop;

import static hpio.loop.LoopedSockets.connectedPair;
import static hpio.loop.LoopedSockets.listen;
import static hpio.loop.LoopedSockets.runUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import hpio.net.IoBuffer;
import hpio.net.OpenFiles;
import hpio.net.Sockets;
import hpio.transport.Transport;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The event-loop contract, written once and run against every backend this OS has
 * (one subclass per backend, so the test report shows the results per backend).
 * Real sockets on loopback, real syscalls.
 */
public abstract class EventLoopContract {
    protected EventLoop loop;
    protected Sockets sockets;
    private final List<Integer> openFds = new ArrayList<>();
    private final List<AutoCloseable> peers = new ArrayList<>();

    /** The backend under test, as EventLoops.open names it. */
    protected abstract String backend();

    /** Whether this backend can tell a hang-up apart from plain readability. */
    protected boolean reportsHangUp() { return false; }

    @BeforeAll
    static void raiseOpenFilesLimit() throws IOException {
        OpenFiles.raiseSoftToHard();
    }

    private static final java.util.Set<Class<?>> toldWhySkipped = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @BeforeEach
    void openLoop() throws IOException {
        // A backend this OS lacks (kqueue on Linux, epoll on macOS): every test is
        // reported as skipped, and the reason is printed once in the build output.
        String unavailable = EventLoops.unavailableReason(backend());
        if (unavailable != null && toldWhySkipped.add(getClass())) {
            System.out.println(getClass().getSimpleName() + " skipped: " + unavailable);
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(unavailable == null, unavailable);
        Transport transport = Transport.open(backend(), 64);
        loop = transport.loop();
        sockets = transport.sockets();
    }

    @AfterEach
    void closeAll() throws Exception {
        if (loop == null) return;
        for (int fd : openFds) {
            if (!loop.isClosed() && loop.isRegistered(fd)) loop.remove(fd);
            sockets.close(fd);
        }
        for (AutoCloseable peer : peers) peer.close();
        loop.close();
    }

    private int track(int fd) {
        openFds.add(fd);
        return fd;
    }

    private LoopedSockets.Pair pair() throws IOException {
        int listenFd = track(listen(sockets));
        LoopedSockets.Pair p = connectedPair(sockets, listenFd);
        track(p.fd());
        peers.add(p);
        return p;
    }

    private void closeTracked(int fd) throws IOException {
        if (loop.isRegistered(fd)) loop.remove(fd);
        sockets.close(fd);
        openFds.remove(Integer.valueOf(fd));
    }

    /** Records every event a handler sees. */
    public static final class Recorder implements IoHandler {
        final AtomicInteger calls = new AtomicInteger();
        volatile int last;
        int all;

        @Override
        public void onEvent(int fd, int events) {
            calls.incrementAndGet();
            last = events;
            all |= events;
        }
    }

    @Test
    public void reportsItsName() {
        assertThat(loop.backendName()).isEqualTo(backend());
    }

    @Test
    public void readableWhenThePeerWrites() throws IOException {
        LoopedSockets.Pair p = pair();
        Recorder r = new Recorder();
        loop.add(p.fd(), Events.READ, r);
        p.peer().getOutputStream().write("hello".getBytes());
        runUntil(loop, () -> r.calls.get() > 0);
        assertThat(r.last & Events.READ).isNotZero();

        IoBuffer buf = IoBuffer.allocate(64);
        int n = sockets.read(p.fd(), buf, 0, 64);
        byte[] got = new byte[n];
        buf.get(0, got, 0, n);
        assertThat(new String(got)).isEqualTo("hello");
        assertThat(sockets.read(p.fd(), buf, 0, 64)).isEqualTo(Sockets.AGAIN);
    }

    @Test
    public void writableOnceANonBlockingConnectCompletes() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            int fd = track(sockets.connect(new java.net.InetSocketAddress("127.0.0.1", server.getLocalPort())));
            Recorder r = new Recorder();
            loop.add(fd, Events.WRITE, r);
            runUntil(loop, () -> r.calls.get() > 0);
            assertThat(r.last & Events.WRITE).isNotZero();
            assertThat(sockets.finishConnect(fd)).isTrue();
            server.accept().close();
        }
    }

    @Test
    public void aRefusedConnectIsReportedByFinishConnectOrConnect() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }   // now nobody listens there
        int fd;
        try {
            fd = track(sockets.connect(new java.net.InetSocketAddress("127.0.0.1", port)));
        } catch (IOException refusedAtOnce) {
            assertThat(refusedAtOnce).isInstanceOf(hpio.net.PeerUnreachableException.class).hasMessageContaining("refused");
            return;
        }
        Recorder r = new Recorder();
        loop.add(fd, Events.WRITE, r);
        runUntil(loop, () -> r.calls.get() > 0);
        // The peer's fault, and typed so: a balancer marks a backend down for this, not for EMFILE.
        assertThatThrownBy(() -> sockets.finishConnect(fd)).isInstanceOf(hpio.net.PeerUnreachableException.class)
                .hasMessageContaining("refused");
    }

    @Test
    public void peerCloseIsReportedAndReadsEof() throws IOException {
        LoopedSockets.Pair p = pair();
        Recorder r = new Recorder();
        loop.add(p.fd(), Events.READ, r);
        p.peer().close();
        runUntil(loop, () -> r.calls.get() > 0);
        assertThat(r.last & (Events.READ | Events.HUP)).isNotZero();
        if (reportsHangUp()) assertThat(r.last & Events.HUP).as("HUP flag").isNotZero();
        assertThat(sockets.read(p.fd(), IoBuffer.allocate(16), 0, 16)).as("read at EOF").isZero();
    }

    @Test
    public void removeStopsEvents() throws IOException {
        LoopedSockets.Pair p = pair();
        Recorder r = new Recorder();
        loop.add(p.fd(), Events.READ, r);
        loop.remove(p.fd());
        p.peer().getOutputStream().write(1);
        assertThat(loop.runOnce(100)).isZero();
        assertThat(r.calls.get()).isZero();
        assertThat(loop.registeredCount()).isZero();
    }

    /**
     * Both directions shut (we sent FIN, the peer closed): epoll and poll report a
     * hang-up even for an fd registered with no interest. A paused fd must stay
     * quiet, or the loop spins on it.
     */
    @Test
    public void anFdWatchedForNothingStaysQuietAfterItsPeerHangsUp() throws IOException {
        LoopedSockets.Pair p = pair();
        Recorder r = new Recorder();
        loop.add(p.fd(), Events.READ, r);
        loop.modify(p.fd(), 0);
        sockets.shutdownOutput(p.fd());
        p.peer().close();
        assertThat(loop.runOnce(100)).as("events for an fd with no interest").isZero();
        assertThat(r.calls.get()).isZero();
        loop.modify(p.fd(), Events.READ);                  // watched again: the EOF is there to read
        runUntil(loop, () -> r.calls.get() > 0);
        assertThat(sockets.read(p.fd(), IoBuffer.allocate(16), 0, 16)).isZero();
    }

    @Test
    public void modifyFromReadToWriteAndBack() throws IOException {
        LoopedSockets.Pair p = pair();
        Recorder r = new Recorder();
        loop.add(p.fd(), Events.READ, r);
        assertThat(loop.runOnce(50)).as("nothing to read yet").isZero();

        loop.modify(p.fd(), Events.WRITE);
        runUntil(loop, () -> r.calls.get() > 0);
        assertThat(r.last).isEqualTo(Events.WRITE);

        loop.modify(p.fd(), Events.READ);
        int before = r.calls.get();
        assertThat(loop.runOnce(50)).as("writable but not watched for WRITE").isZero();
        p.peer().getOutputStream().write(7);
        runUntil(loop, () -> r.calls.get() > before);
        assertThat(r.last & Events.READ).isNotZero();
        assertThat(r.last & Events.WRITE).isZero();
    }

    @Test
    public void aHandlerClosingAnFdInTheBatchCausesNoStaleEventForItsReusedNumber() throws IOException {
        int listenFd = track(listen(sockets));
        LoopedSockets.Pair a = connectedPair(sockets, listenFd);
        LoopedSockets.Pair b = connectedPair(sockets, listenFd);
        peers.add(a);
        peers.add(b);
        // Clients waiting in the backlog: accepted inside the handler, they take the
        // lowest free numbers until one gets the number just closed, whose old
        // event may still be waiting in the current batch.
        for (int i = 0; i < 100; i++) peers.add(new java.net.Socket("127.0.0.1", sockets.localPort(listenFd)));

        Recorder newcomer = new Recorder();
        AtomicInteger firstCalls = new AtomicInteger();
        int[] reused = {-1};
        IoHandler closeTheOther = (fd, events) -> {
            firstCalls.incrementAndGet();
            int other = fd == a.fd() ? b.fd() : a.fd();
            loop.remove(fd);          // stays open (so its number is not free), just unwatched
            loop.remove(other);
            sockets.close(other);
            openFds.remove(Integer.valueOf(other));
            hpio.net.PeerAddress from = new hpio.net.PeerAddress();
            for (int tries = 0; tries < 100 && reused[0] != other; tries++) {
                int fresh = Sockets.AGAIN;
                while (fresh == Sockets.AGAIN) fresh = sockets.accept(listenFd, from);
                track(fresh);
                reused[0] = fresh;
            }
            loop.add(reused[0], Events.READ, newcomer);   // its client sent nothing: must not fire
        };
        loop.add(a.fd(), Events.READ, closeTheOther);
        loop.add(b.fd(), Events.READ, closeTheOther);
        a.peer().getOutputStream().write(1);
        b.peer().getOutputStream().write(1);
        runUntil(loop, () -> firstCalls.get() > 0);

        assertThat(reused[0]).as("the closed number was handed out again").isIn(a.fd(), b.fd());
        assertThat(firstCalls.get()).isEqualTo(1);
        assertThat(newcomer.calls.get()).as("stale event delivered to the new owner of fd " + reused[0]).isZero();
        assertThat(loop.runOnce(50)).isZero();
    }

    @Test
    public void runOnceTimesOutWithNothingReady() throws IOException {
        pair();
        long start = System.nanoTime();
        assertThat(loop.runOnce(200)).isZero();
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        // Only the lower bound can be trusted on a busy machine; it proves the wait happened.
        assertThat(tookMillis).isGreaterThanOrEqualTo(150);
    }

    @Test
    public void wakeupFromAnotherThreadEndsABlockedWait() throws Exception {
        Thread waker = Thread.ofPlatform().start(() -> {
            try { Thread.sleep(100); } catch (InterruptedException e) { return; }   // let the wait begin
            loop.wakeup();
        });
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThat(loop.runOnce(60_000)).isZero());
        waker.join();
    }

    @Test
    public void aWakeupBeforeTheWaitMakesItReturnAtOnce() {
        loop.wakeup();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThat(loop.runOnce(60_000)).isZero());
    }

    @Test
    public void twoThousandRegisteredFdsAndOneReady() throws IOException {
        // Idle fds: listening sockets nobody connects to.
        for (int i = 0; i < 2000; i++) {
            loop.add(track(listen(sockets)), Events.READ, (fd, ev) -> { throw new AssertionError("idle fd fired"); });
        }
        LoopedSockets.Pair p = pair();
        Recorder r = new Recorder();
        loop.add(p.fd(), Events.READ, r);
        p.peer().getOutputStream().write(1);
        runUntil(loop, () -> r.calls.get() > 0);
        assertThat(loop.registeredCount()).isEqualTo(2001);
    }

    /**
     * More fds ready than one batch holds (64 here): each must get its turn within
     * a few waits. A backend that always scans from the start would serve the
     * same 64 forever (select and poll rotate their scan; epoll rotates its ready list).
     */
    @Test
    public void moreReadyFdsThanABatchHoldsAllGetTheirTurn() throws IOException {
        int n = 3 * loop.batchSize() + 5;
        int listenFd = track(listen(sockets));
        java.util.Set<Integer> served = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            LoopedSockets.Pair p = connectedPair(sockets, listenFd);
            track(p.fd());
            peers.add(p);
            loop.add(p.fd(), Events.READ, (fd, events) -> served.add(fd));   // never reads: stays ready
            p.peer().getOutputStream().write(1);
        }
        runUntil(loop, () -> served.size() == n);
    }

    // ---------------------------------------------------------------- timers

    @Test
    public void timersRunInDeadlineOrderAndFirstScheduledFirstOnATie() throws IOException {
        List<String> ran = new ArrayList<>();
        // Each delay is counted from one instant, and the steps are wide, so a loaded machine that stalls
        // between two calls cannot turn "c" into an earlier deadline than "a" scheduled after it.
        long base = loop.nanoTime();
        java.util.function.LongUnaryOperator at = ms -> base + ms * 1_000_000 - loop.nanoTime();
        loop.schedule(new Timer(() -> ran.add("now")), 0, TimeUnit.MILLISECONDS);
        loop.schedule(new Timer(() -> ran.add("c")), at.applyAsLong(450), TimeUnit.NANOSECONDS);
        loop.schedule(new Timer(() -> ran.add("a")), at.applyAsLong(150), TimeUnit.NANOSECONDS);
        // b1 and b2: the same delay, one call after the other: a tie (or b2 a hair later), b1 first either way.
        loop.schedule(new Timer(() -> ran.add("b1")), 300, TimeUnit.MILLISECONDS);
        loop.schedule(new Timer(() -> ran.add("b2")), 300, TimeUnit.MILLISECONDS);
        runUntil(loop, () -> ran.size() == 5);
        assertThat(ran).containsExactly("now", "a", "b1", "b2", "c");
        assertThat(loop.scheduledTimers()).isZero();
    }

    @Test
    public void aTimerCutsTheWaitShortAndACancelledOneNeverRuns() throws IOException {
        AtomicInteger cancelledRuns = new AtomicInteger();
        Timer cancelled = new Timer(cancelledRuns::incrementAndGet);
        loop.schedule(cancelled, 10, TimeUnit.MILLISECONDS);
        loop.cancel(cancelled);
        loop.cancel(cancelled);                               // twice: a no-op
        assertThat(cancelled.isScheduled()).isFalse();
        AtomicInteger ran = new AtomicInteger();
        loop.schedule(new Timer(ran::incrementAndGet), 50, TimeUnit.MILLISECONDS);
        // One call, with no limit of its own: only the timer can end this wait.
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThat(loop.runOnce(-1)).isEqualTo(1));
        assertThat(ran.get()).isEqualTo(1);
        assertThat(cancelledRuns.get()).isZero();
    }

    @Test
    public void reArmingMovesTheDeadlineAndRunsOnce() throws IOException {
        AtomicInteger ran = new AtomicInteger();
        Timer t = new Timer(ran::incrementAndGet);
        loop.schedule(t, 10, TimeUnit.MILLISECONDS);
        loop.schedule(t, 10_000, TimeUnit.MILLISECONDS);      // pushed back: not due in this test
        assertThat(loop.scheduledTimers()).isEqualTo(1);
        long start = System.nanoTime();
        while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(100)) loop.runOnce(20);
        assertThat(ran.get()).as("runs at the new deadline, not the old").isZero();
        loop.schedule(t, 0, TimeUnit.MILLISECONDS);           // brought forward
        runUntil(loop, () -> ran.get() > 0);
        assertThat(ran.get()).isEqualTo(1);
        assertThat(t.isScheduled()).isFalse();
    }

    @Test
    public void aTimerScheduledFromAHandlerRunsOnTheLoop() throws IOException {
        LoopedSockets.Pair p = pair();
        AtomicInteger ran = new AtomicInteger();
        Thread[] on = new Thread[1];
        Timer t = new Timer(() -> {
            on[0] = Thread.currentThread();
            ran.incrementAndGet();
        });
        loop.add(p.fd(), Events.READ, (fd, events) -> {
            sockets.read(fd, IoBuffer.allocate(16), 0, 16);
            loop.schedule(t, 5, TimeUnit.MILLISECONDS);
        });
        p.peer().getOutputStream().write(1);
        runUntil(loop, () -> ran.get() > 0);
        assertThat(on[0]).isSameAs(Thread.currentThread());
    }

    @Test
    public void aTimerThatReArmsItselfForNowWaitsForTheNextTurn() throws IOException {
        AtomicInteger ran = new AtomicInteger();
        Timer[] self = new Timer[1];
        self[0] = new Timer(() -> {
            ran.incrementAndGet();
            loop.schedule(self[0], 0, TimeUnit.MILLISECONDS);
        });
        loop.schedule(self[0], 0, TimeUnit.MILLISECONDS);
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> loop.runOnce(0));
        assertThat(ran.get()).as("one run per turn, so the turn ends").isEqualTo(1);
        loop.runOnce(0);
        assertThat(ran.get()).isEqualTo(2);
        loop.cancel(self[0]);
    }

    /** A timer that fell due while a handler was busy runs in the same turn, after the batch. */
    @Test
    public void aTimerDueDuringALongBatchRunsRightAfterIt() throws IOException {
        LoopedSockets.Pair p = pair();
        List<String> order = new ArrayList<>();
        loop.schedule(new Timer(() -> order.add("timer")), 30, TimeUnit.MILLISECONDS);
        loop.add(p.fd(), Events.READ, (fd, events) -> {
            sockets.read(fd, IoBuffer.allocate(16), 0, 16);
            order.add("handler");
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(60);   // a slow handler
            while (System.nanoTime() < until) Thread.onSpinWait();
        });
        p.peer().getOutputStream().write(1);
        runUntil(loop, () -> !order.isEmpty());
        assertThat(order).containsExactly("handler", "timer");
    }

    /** Steady state: re-arming an existing timer allocates nothing (JMH -prof gc shows it too: make bench). */
    @Test
    public void reArmingATimerAMillionTimesAllocatesNothing() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        Timer[] timers = new Timer[1000];
        for (int i = 0; i < timers.length; i++) timers[i] = new Timer(() -> { });
        for (int round = 0; round < 2; round++) {                 // the first round warms up (and sizes the heap)
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 1_000_000; i++) {
                loop.schedule(timers[i % timers.length], 1_000 + (i * 7919L) % 60_000, TimeUnit.MILLISECONDS);
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            if (round == 1) assertThat(allocated).as("bytes allocated by a million re-arms").isLessThan(1024);
        }
        for (Timer t : timers) loop.cancel(t);
        assertThat(loop.scheduledTimers()).isZero();
    }

    // ---------------------------------------------------------------- failures

    @Test
    public void aHandlerThatThrowsCostsItsFdNotTheLoop() throws IOException {
        LoopedSockets.Pair bad = pair();
        LoopedSockets.Pair good = pair();
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        loop.setFailureLog(new java.io.PrintStream(log, true));
        List<Exception> told = new ArrayList<>();
        loop.add(bad.fd(), Events.READ, new IoHandler() {
            @Override public void onEvent(int fd, int events) {
                throw new IllegalStateException("write buffer overflow");
            }

            @Override public void onFailure(int fd, Exception cause) { told.add(cause); }
        });
        Recorder r = new Recorder();
        loop.add(good.fd(), Events.READ, r);
        bad.peer().getOutputStream().write(1);                // never read: level-triggered, it stays ready
        runUntil(loop, () -> !told.isEmpty());
        assertThat(told.getFirst()).hasMessage("write buffer overflow");
        assertThat(loop.isRegistered(bad.fd())).as("the failing fd was taken out, so it cannot spin the loop").isFalse();
        assertThat(loop.failures()).isEqualTo(1);
        assertThat(log.toString()).contains("fd " + bad.fd()).contains("IllegalStateException (write buffer overflow)");
        assertThat(loop.runOnce(50)).as("quiet after the failure").isZero();
        good.peer().getOutputStream().write(1);
        runUntil(loop, () -> r.calls.get() > 0);              // the loop goes on
    }

    @Test
    public void aTimerThatThrowsIsReportedAndTheLoopGoesOn() throws IOException {
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        loop.setFailureLog(new java.io.PrintStream(log, true));
        AtomicInteger later = new AtomicInteger();
        loop.schedule(new Timer(() -> { throw new IllegalArgumentException("bad deadline"); }), 0, TimeUnit.MILLISECONDS);
        loop.schedule(new Timer(later::incrementAndGet), 1, TimeUnit.MILLISECONDS);
        runUntil(loop, () -> later.get() > 0);
        assertThat(loop.failures()).isEqualTo(1);
        assertThat(log.toString()).contains("a timer threw IllegalArgumentException (bad deadline)");
    }

    /** Whether this backend can register edge-triggered (epoll's EPOLLET, kqueue's EV_CLEAR). */
    protected boolean supportsEdge() { return false; }

    @Test
    public void edgeTriggeredNotifiesOnceUntilDrainedOrIsRejectedClearly() throws IOException {
        LoopedSockets.Pair p = pair();
        if (!supportsEdge()) {
            assertThatThrownBy(() -> loop.add(p.fd(), Events.READ | Events.EDGE, new Recorder()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("EDGE").hasMessageContaining(backend());
            return;
        }
        Recorder r = new Recorder();
        loop.add(p.fd(), Events.READ | Events.EDGE, r);
        p.peer().getOutputStream().write(new byte[10]);
        runUntil(loop, () -> r.calls.get() > 0);
        // Not drained, yet no second notification: that is edge-triggered.
        assertThat(loop.runOnce(100)).isZero();
        assertThat(r.calls.get()).isEqualTo(1);
        // New data is a new edge.
        p.peer().getOutputStream().write(new byte[10]);
        runUntil(loop, () -> r.calls.get() > 1);
        assertThat(sockets.read(p.fd(), IoBuffer.allocate(64), 0, 64)).isEqualTo(20);
    }

    @Test
    public void misuseGivesClearExceptions() throws IOException {
        LoopedSockets.Pair p = pair();
        loop.add(p.fd(), Events.READ, new Recorder());
        assertThatThrownBy(() -> loop.add(p.fd(), Events.READ, new Recorder()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already registered");
        assertThatThrownBy(() -> loop.modify(9999, Events.READ))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not registered");
        assertThatThrownBy(() -> loop.remove(9999))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not registered");
        assertThatThrownBy(() -> loop.add(p.fd() + 1, 1 << 9, new Recorder()))
                .isInstanceOf(IllegalArgumentException.class);
        loop.remove(p.fd());
        loop.close();
        assertThatThrownBy(() -> loop.runOnce(0)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> loop.add(p.fd(), Events.READ, new Recorder()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
}
