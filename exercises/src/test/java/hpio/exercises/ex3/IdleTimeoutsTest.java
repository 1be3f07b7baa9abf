package hpio.exercises.ex3;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.exercises.Transfers;
import hpio.lb.LbConfig;
import hpio.lb.hooks.IdleNode;
import hpio.testing.Peers;
import hpio.testing.RunningBalancer;
import java.io.IOException;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Exercise 3: the tracker with a clock we move by hand, then the balancer with a 300 ms timeout. */
@Timeout(60)
class IdleTimeoutsTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void theLeastRecentlyActiveExpiresFirstAndTouchingRenews() {
        IdleTimeouts t = new IdleTimeouts(300 * MS);
        IdleNode a = new IdleNode(), b = new IdleNode(), c = new IdleNode();
        assertThat(t.nanosUntilNextExpiry(0)).isEqualTo(-1);
        t.touch(a, 0);
        t.touch(b, 100 * MS);
        t.touch(c, 200 * MS);
        assertThat(t.nanosUntilNextExpiry(250 * MS)).isEqualTo(50 * MS);
        assertThat(t.pollExpired(299 * MS)).isNull();
        t.touch(a, 250 * MS);                              // a is active again: b is now the oldest
        assertThat(t.pollExpired(400 * MS)).isSameAs(b);
        assertThat(t.pollExpired(400 * MS)).isNull();      // c expires at 500, a at 550
        assertThat(t.nanosUntilNextExpiry(400 * MS)).isEqualTo(100 * MS);
        assertThat(t.pollExpired(600 * MS)).isSameAs(c);
        assertThat(t.pollExpired(600 * MS)).isSameAs(a);
        assertThat(t.pollExpired(600 * MS)).isNull();
        assertThat(t.nanosUntilNextExpiry(600 * MS)).isEqualTo(-1);
        assertThat(a.idleTracked || b.idleTracked || c.idleTracked).isFalse();
    }

    @Test
    void removeTakesANodeOutFromAnywhere() {
        IdleTimeouts t = new IdleTimeouts(10 * MS);
        IdleNode[] n = new IdleNode[5];
        for (int i = 0; i < 5; i++) t.touch(n[i] = new IdleNode(), i);
        t.remove(n[2]);                                    // middle
        t.remove(n[0]);                                    // head
        t.remove(n[4]);                                    // tail
        t.remove(n[4]);                                    // not tracked: no-op
        assertThat(t.pollExpired(100 * MS)).isSameAs(n[1]);
        assertThat(t.pollExpired(100 * MS)).isSameAs(n[3]);
        assertThat(t.pollExpired(100 * MS)).isNull();
        t.touch(n[2], 0);                                  // a removed node can come back
        assertThat(t.pollExpired(100 * MS)).isSameAs(n[2]);
    }

    @Test
    void anExpiredHeadReportsZeroWaitNotANegativeOne() {
        IdleTimeouts t = new IdleTimeouts(10 * MS);
        t.touch(new IdleNode(), 0);
        assertThat(t.nanosUntilNextExpiry(50 * MS)).isZero();
    }

    @Test
    void theBalancerClosesIdleConnectionsAndKeepsActiveOnes() throws Exception {
        try (Peers.Echo echo = new Peers.Echo();
             RunningBalancer lb = new RunningBalancer(Transfers.config("auto", echo.spec())
                     .withExercises(LbConfig.Exercises.NONE.withIdleTimeoutMillis(300)));
             Socket idle = Peers.client(lb.port());
             Socket active = Peers.client(lb.port())) {
            for (Socket s : new Socket[] {idle, active}) {       // both proxied and working
                s.getOutputStream().write('x');
                assertThat(s.getInputStream().read()).isEqualTo('x');
            }
            // Keep one busy (a byte every 50 ms) until well past the idle one's closing.
            java.util.concurrent.atomic.AtomicBoolean busy = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread keepAlive = Thread.ofVirtual().start(() -> {
                try {
                    while (busy.get()) {
                        active.getOutputStream().write('y');
                        if (active.getInputStream().read() != 'y') return;
                        Thread.sleep(50);
                    }
                } catch (IOException | InterruptedException e) {
                    // the assertion below reports it
                }
            });
            assertThat(Peers.readAll(idle)).as("EOF on the idle connection").isEmpty();
            long closedAt = System.nanoTime();
            while (System.nanoTime() - closedAt < 700 * MS) Thread.sleep(50);   // more than twice the timeout
            busy.set(false);
            keepAlive.join();
            active.getOutputStream().write('z');
            assertThat(active.getInputStream().read()).as("the active connection still echoes").isEqualTo('z');
            assertThat(lb.lb.idleClosed()).isEqualTo(1);
            assertThat(lb.lb.activeConnections()).isEqualTo(1);
            assertThat(lb.lb.pool().freeCount()).isEqualTo(lb.lb.pool().size() - 1);
            active.close();
            lb.awaitIdle();                                       // pool slots and fds all back
        }
    }
}
