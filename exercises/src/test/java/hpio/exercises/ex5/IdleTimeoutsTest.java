package hpio.exercises.ex5;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.exercises.Transfers;
import hpio.lb.LbConfig;
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
