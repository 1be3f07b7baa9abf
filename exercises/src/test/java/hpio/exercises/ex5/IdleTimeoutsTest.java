package hpio.exercises.ex5;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import hpio.exercises.FakeTimers;
import hpio.exercises.Transfers;
import hpio.lb.LbConfig;
import hpio.testing.Peers;
import hpio.testing.RunningBalancer;
import java.io.IOException;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Exercise 5: {@link IdleTimeouts} on a loop whose clock the test moves
 * ({@link FakeTimers}), with connections as the balancer shows them
 * ({@link FakeConnection}); then the real balancer with a 500 ms timeout.
 */
@Timeout(60)
class IdleTimeoutsTest {
    private static final long TIMEOUT = SECONDS.toNanos(60);

    private final FakeTimers timers = new FakeTimers();
    private final IdleTimeouts policy = new IdleTimeouts(TIMEOUT);

    {
        policy.attach(timers);
    }

    @Test
    void closesAConnectionIdleForTheTimeoutAndNotBefore() {
        FakeConnection c = new FakeConnection(policy).open();
        assertThat(timers.isArmed(c.idleTimer()))
                .as("opened() left the connection's timer unarmed: nothing will ever run to close it").isTrue();
        timers.advance(SECONDS.toNanos(60) - MILLISECONDS.toNanos(1));
        assertThat(c.idleClosed).as("closed after 59.999 s of a 60 s timeout: close only once idle for the whole"
                + " timeout").isZero();
        timers.advance(1, MILLISECONDS);
        assertThat(c.idleClosed).as("still open 60 s after it opened, without a byte since: idle for the timeout"
                + " must close it when its timer runs").isEqualTo(1);
        assertThat(c.open).isFalse();
    }

    @Test
    void trafficPushesTheDeadlineBack() {
        FakeConnection c = new FakeConnection(policy).open();
        timers.advance(30, SECONDS);
        c.moveBytes();
        timers.advance(30, SECONDS);                      // 60 s after opening, 30 s after its last byte
        assertThat(c.idleClosed).as("closed an active connection: its last byte was 30 s ago and the timeout is"
                + " 60 s (when the timer runs, look at the time of the last traffic before closing)").isZero();
        timers.advance(SECONDS.toNanos(30) - 1);
        assertThat(c.idleClosed).as("closed before 60 s had passed since its last byte").isZero();
        timers.advance(1);
        assertThat(c.idleClosed).as("still open 60 s after its last byte: when its timer found it active, it must"
                + " be armed again so that it runs at the real deadline (last byte + timeout)").isEqualTo(1);
    }

    @Test
    void trafficOnlyNotesTheTime() {
        FakeConnection c = new FakeConnection(policy).open();
        int schedules = timers.schedules, cancels = timers.cancels;
        int reads = 10_000;
        for (int i = 0; i < reads; i++) {                 // a busy connection: a read every millisecond for 10 s
            timers.advance(1, MILLISECONDS);
            c.moveBytes();
        }
        int heapWork = timers.schedules - schedules + timers.cancels - cancels;
        assertThat(heapWork).as("re-armed (or cancelled) the timer " + heapWork + " times for " + reads + " reads of"
                + " traffic: traffic should only note the time, the timer catches up when it runs (once per"
                + " timeout, not once per read)").isZero();
        timers.advance(60, SECONDS);                      // its timer ran once, found it active, and ran again
        assertThat(c.idleClosed).as("idle for 60 s after its last read: closed once").isEqualTo(1);
        assertThat(timers.schedules - schedules).as("re-armed the timer " + (timers.schedules - schedules)
                + " times for one timeout period: re-arm when the timer runs, once").isLessThanOrEqualTo(2);
    }

    @Test
    void reArmsForWhatIsLeftNotForAWholeTimeout() {
        FakeConnection c = new FakeConnection(policy).open();
        timers.advance(40, SECONDS);
        c.moveBytes();                                    // its deadline is now 40 + 60 = 100 s
        timers.advance(20, SECONDS);                      // 60 s: the timer runs and finds it idle for 20 s
        assertThat(c.idleClosed).as("closed a connection whose last byte was 20 s ago").isZero();
        assertThat(timers.isArmed(c.idleTimer())).as("the timer ran while the connection was active (last byte 20"
                + " s ago) and was not armed again: nothing will ever close it now").isTrue();
        long dueIn = timers.dueIn(c.idleTimer());
        assertThat(dueIn).as("re-armed for %.1f s instead of what is left (40 s): idle since 40 s, it must close"
                + " at 100 s, a timeout after its last byte, not at %.1f s", dueIn / 1e9, 60 + dueIn / 1e9)
                .isEqualTo(SECONDS.toNanos(40));
        timers.advance(40, SECONDS);
        assertThat(c.idleClosed).as("still open at 100 s, 60 s after its last byte").isEqualTo(1);
    }

    @Test
    void aClosedConnectionsTimerIsCancelled() {
        FakeConnection c = new FakeConnection(policy).open();
        timers.advance(10, SECONDS);
        c.closeByPeer();                                  // the client left: the balancer calls closed()
        assertThat(timers.isArmed(c.idleTimer())).as("the timer of a closed connection stays armed: it would run"
                + " for the slot's next client (and holds a place in the loop's heap until then)").isFalse();
        // The pool gives the slot, timer and all, to the next client 45 s later.
        timers.advance(45, SECONDS);
        c.open();
        timers.advance(59, SECONDS);
        assertThat(c.idleClosed).as("the slot's next client was closed 59 s after it opened: a timer of the"
                + " previous client's ran for it").isZero();
        timers.advance(1, SECONDS);
        assertThat(c.idleClosed).as("the slot's next client, idle for 60 s, is still open").isEqualTo(1);
        assertThat(timers.armedCount()).as("timers left armed once every connection is closed").isZero();
    }

    @Test
    void eachConnectionHasItsOwnDeadline() {
        FakeConnection quiet = new FakeConnection(policy).open();
        timers.advance(10, SECONDS);
        FakeConnection busy = new FakeConnection(policy).open();
        for (int s = 0; s < 120; s++) {                   // one byte a second on busy, for two minutes
            timers.advance(1, SECONDS);
            busy.moveBytes();
        }
        assertThat(busy.idleClosed).as("closed a connection that moved a byte every second").isZero();
        assertThat(quiet.idleClosed).as("a connection idle for two minutes is still open (another connection's"
                + " traffic must not keep it alive)").isEqualTo(1);
        timers.advance(60, SECONDS);
        assertThat(busy.idleClosed).as("idle for 60 s after its last byte, still open").isEqualTo(1);
    }

    @Test
    void theBalancerClosesIdleConnectionsAndKeepsActiveOnes() throws Exception {
        long timeoutMillis = 500;
        try (Peers.Echo echo = new Peers.Echo();
             RunningBalancer lb = new RunningBalancer(Transfers.config("auto", echo.spec())
                     .withExercises(LbConfig.Exercises.NONE.withIdleTimeoutMillis(timeoutMillis)));
             Socket idle = Peers.client(lb.port());
             Socket active = Peers.client(lb.port())) {
            for (Socket s : new Socket[] {idle, active}) {       // both proxied and working
                s.getOutputStream().write('x');
                assertThat(s.getInputStream().read()).as("an echo through the balancer").isEqualTo('x');
            }
            // Keep one busy (a byte every 50 ms) for three timeouts, while the other one idles.
            AtomicReference<String> broken = new AtomicReference<>();
            Thread keepAlive = Thread.ofVirtual().start(() -> {
                long end = System.nanoTime() + MILLISECONDS.toNanos(3 * timeoutMillis);
                try {
                    while (System.nanoTime() - end < 0) {
                        active.getOutputStream().write('y');
                        if (active.getInputStream().read() != 'y') {
                            broken.set("EOF");
                            return;
                        }
                        Thread.sleep(50);                        // pacing: a byte every 50 ms, not synchronisation
                    }
                } catch (IOException | InterruptedException e) {
                    broken.set(e.toString());
                }
            });
            assertThat(Peers.readAll(idle)).as("the idle connection is closed (EOF), no bytes").isEmpty();
            keepAlive.join();
            assertThat(broken.get()).as("the active connection (a byte every 50 ms, timeout " + timeoutMillis
                    + " ms) was closed").isNull();
            active.getOutputStream().write('z');
            assertThat(active.getInputStream().read()).as("the active connection still echoes").isEqualTo('z');
            assertThat(lb.reactor().idleClosed()).as("connections closed as idle").isEqualTo(1);
            assertThat(lb.lb.activeConnections()).isEqualTo(1);
            active.close();
            lb.awaitIdle();                                       // pool slots and fds all back
        }
    }

    /** With two loops each loop has its own policy, on its own timers: idle clients of both are closed. */
    @Test
    @org.junit.jupiter.api.condition.EnabledOnOs(org.junit.jupiter.api.condition.OS.LINUX)   // macOS does not spread
    void withTwoLoopsIdleConnectionsOfBothLoopsAreClosed() throws Exception {
        List<Socket> clients = new ArrayList<>();
        try (Peers.Echo echo = new Peers.Echo();
             RunningBalancer lb = new RunningBalancer(Transfers.config("auto", echo.spec()).withThreads(2)
                     .withExercises(LbConfig.Exercises.NONE.withIdleTimeoutMillis(300)))) {
            try {
                // Until both loops have one (the kernel's hash decides; 64 all on one loop: 2^-63).
                while (clients.size() < 64 && java.util.Arrays.stream(lb.reactor().clientsPerLoop()).anyMatch(n -> n == 0)) {
                    Socket s = Peers.client(lb.port());
                    clients.add(s);
                    s.getOutputStream().write('x');
                    assertThat(s.getInputStream().read()).as("an echo through the balancer").isEqualTo('x');
                }
                assertThat(lb.reactor().clientsPerLoop()).as("clients on each loop").doesNotContain(0L);
                for (Socket s : clients) {
                    assertThat(Peers.readAll(s)).as("an idle connection is closed (EOF), on either loop").isEmpty();
                }
                assertThat(lb.reactor().idleClosed()).as("connections closed as idle, both loops").isEqualTo(clients.size());
                lb.awaitIdle();
            } finally {
                for (Socket s : clients) s.close();
            }
        }
    }
}
