package hpio.exercises.ex3;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.exercises.Transfers;
import hpio.lb.LbConfig;
import hpio.testing.Peers;
import hpio.testing.RunningBalancer;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Exercise 1, end to end: the balancer with --edge-triggered on epoll (kqueue on macOS). */
@Timeout(60)
class EdgeTriggeredTest {
    private static final int SIXTEEN_MIB = 16 * 1024 * 1024;

    private static LbConfig config(Peers.Echo echo, boolean edge) {
        return Transfers.config(Transfers.edgeCapableBackend(), echo.spec())
                .withExercises(LbConfig.Exercises.NONE.withEdgeTriggered(edge));
    }

    @Test
    void aSixteenMebibyteTransferArrivesIntact() throws Exception {
        try (Peers.Echo echo = new Peers.Echo(); RunningBalancer lb = new RunningBalancer(config(echo, true))) {
            Transfers.echoChecked(lb.port(), Transfers.randomBytes(SIXTEEN_MIB, 1));
            lb.awaitIdle();
            lb.assertAlive();
        }
    }

    @Test
    void aBurstOfTwoHundredConnectsIsAcceptedInFull() throws Exception {
        try (Peers.Echo echo = new Peers.Echo(); RunningBalancer lb = new RunningBalancer(config(echo, true));
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            // All 200 connect at once, so the listener's one edge stands for many clients.
            List<Future<String>> replies = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String msg = "client " + i;
                replies.add(pool.submit(() -> {
                    try (Socket s = Peers.client(lb.port())) {
                        s.setSoTimeout(20_000);     // a client left in the backlog fails here, not forever
                        s.getOutputStream().write(msg.getBytes());
                        s.shutdownOutput();
                        return new String(s.getInputStream().readAllBytes());
                    }
                }));
            }
            for (int i = 0; i < 200; i++) assertThat(replies.get(i).get()).isEqualTo("client " + i);
            lb.awaitIdle();
        }
    }

    /** Wake-ups (waits in the kernel) the balancer needs for one 16 MiB echo. */
    private static long waitsForOneTransfer(boolean edge) throws Exception {
        try (Peers.Echo echo = new Peers.Echo(); RunningBalancer lb = new RunningBalancer(config(echo, edge))) {
            long before = lb.lb.loopWaits();
            Transfers.echoChecked(lb.port(), Transfers.randomBytes(SIXTEEN_MIB, 2));
            lb.awaitIdle();
            return lb.lb.loopWaits() - before;
        }
    }

    @Test
    void edgeTriggeredNeedsNoMoreWakeupsThanLevelTriggered() throws Exception {
        long level = waitsForOneTransfer(false);
        long edge = waitsForOneTransfer(true);
        System.out.printf("ex1: wake-ups for one 16 MiB echo: level-triggered %d, edge-triggered %d%n", level, edge);
        assertThat(edge).isLessThanOrEqualTo(level);
    }
}
