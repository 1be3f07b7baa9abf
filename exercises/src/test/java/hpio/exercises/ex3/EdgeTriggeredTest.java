package hpio.exercises.ex3;

import static org.assertj.core.api.Assertions.assertThat;
import hpio.exercises.Transfers;
import hpio.lb.Hooks;
import hpio.lb.LbConfig;
import hpio.lb.hooks.ReadPolicy;
import hpio.testing.Peers;
import hpio.testing.RunningBalancer;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Exercise 3, end to end: the balancer with {@link EdgeTriggered} on epoll (kqueue
 * on macOS), real sockets on loopback. A stall (bytes left in a socket that the
 * kernel will not announce again) fails within 10 s, by name; a policy that spins
 * on a pump is stopped by {@link GuardedReadPolicy} and fails at once, by name.
 */
@Timeout(60)
class EdgeTriggeredTest {
    private static final int SIXTEEN_MIB = 16 * 1024 * 1024;
    private static final String STALLED = "the 16 MiB echo stalled: bytes left in a socket after an edge"
            + " are never announced again (stopped before AGAIN, or a flow cut short by the budget never served"
            + " from the ready list?)";

    /** The policy under test (or the baseline), guarded against spinning. */
    private static GuardedReadPolicy policy(boolean edge) {
        return new GuardedReadPolicy(edge ? new EdgeTriggered() : ReadPolicy.LEVEL_TRIGGERED);
    }

    private static RunningBalancer start(Peers.Echo echo, GuardedReadPolicy policy) throws Exception {
        // The config names the mode for the start-up line; the hooks carry the guarded policy.
        LbConfig config = Transfers.config(Transfers.edgeCapableBackend(), echo.spec())
                .withExercises(LbConfig.Exercises.NONE.withEdgeTriggered(policy.registrationFlags() != 0));
        return new RunningBalancer(config, new Hooks(policy, null, null, null, "test", "ex3 (guarded)"));
    }

    /** One checked 16 MiB echo; fails by name on a stall (3 s with nothing moving) or a spinning policy. */
    private static void echoSixteenMebibytes(RunningBalancer lb, GuardedReadPolicy policy, long seed)
            throws Exception {
        byte[] payload = Transfers.randomBytes(SIXTEEN_MIB, seed);
        FutureTask<Void> echo = new FutureTask<>(() -> {
            Transfers.echoChecked(lb.port(), payload);
            return null;
        });
        Thread.ofVirtual().start(echo);
        policy.awaitProgressUntil(echo::isDone, STALLED);
        echo.get();                                    // the echo's own failure (a byte lost), if any
    }

    @Test
    void aSixteenMebibyteTransferArrivesIntact() throws Exception {
        GuardedReadPolicy policy = policy(true);
        try (Peers.Echo echo = new Peers.Echo(); RunningBalancer lb = start(echo, policy)) {
            echoSixteenMebibytes(lb, policy, 1);
            lb.awaitIdle();
            lb.assertAlive();
        }
    }

    @Test
    void aBurstOfTwoHundredConnectsIsAcceptedInFull() throws Exception {
        GuardedReadPolicy policy = policy(true);
        try (Peers.Echo echo = new Peers.Echo(); RunningBalancer lb = start(echo, policy);
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            // All 200 connect at once, so the listener's one edge stands for many clients.
            List<Future<String>> replies = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String msg = "client " + i;
                replies.add(pool.submit(() -> {
                    try (Socket s = Peers.client(lb.port())) {
                        s.setSoTimeout(15_000);     // a client left in the backlog ends here, not forever
                        s.getOutputStream().write(msg.getBytes());
                        s.shutdownOutput();
                        return new String(s.getInputStream().readAllBytes());
                    }
                }));
            }
            try {
                policy.awaitProgressUntil(() -> replies.stream().allMatch(Future::isDone),
                        "clients of the burst wait with nothing moving: left in the listen queue (one edge on the"
                                + " listener stands for every client queued behind it), or their bytes or FIN left unread?");
            } finally {
                pool.shutdownNow();         // a stalled client is interrupted (its socket closed), not waited for
            }
            for (int i = 0; i < 200; i++) {
                assertThat(replies.get(i).get()).as("the echo of client %d", i).isEqualTo("client " + i);
            }
            lb.awaitIdle();
        }
    }

    /** Wake-ups (waits in the kernel) the balancer needs for one 16 MiB echo. */
    private static long waitsForOneTransfer(boolean edge) throws Exception {
        GuardedReadPolicy policy = policy(edge);
        try (Peers.Echo echo = new Peers.Echo(); RunningBalancer lb = start(echo, policy)) {
            long before = lb.reactor().loopWaits();
            echoSixteenMebibytes(lb, policy, 2);
            lb.awaitIdle();
            return lb.reactor().loopWaits() - before;
        }
    }

    @Test
    void edgeTriggeredNeedsNoMoreWakeupsThanLevelTriggered() throws Exception {
        long level = waitsForOneTransfer(false);
        long edge = waitsForOneTransfer(true);
        System.out.printf("ex3: wake-ups for one 16 MiB echo: level-triggered %d, edge-triggered %d%n", level, edge);
        assertThat(edge)
                .as("edge-triggered woke the loop %d times against level-triggered's %d for the same 16 MiB: each"
                        + " edge should be worth a whole drain, up to the budget (one read per pass?)",
                        edge, level)
                .isLessThanOrEqualTo(level);
    }

    /**
     * With two loops ({@code --threads 2}) each loop gets its own EdgeTriggered, made
     * by the kit and attached to that loop's timers: sixteen transfers at once, spread
     * over both loops by the kernel, all arrive intact.
     */
    @Test
    void withTwoLoopsEachLoopsPolicyDeliversEveryByte() throws Exception {
        try (Peers.Echo echo = new Peers.Echo();
             RunningBalancer lb = new RunningBalancer(Transfers.config(Transfers.edgeCapableBackend(), echo.spec())
                     .withThreads(2).withExercises(LbConfig.Exercises.NONE.withEdgeTriggered(true)));
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                byte[] payload = Transfers.randomBytes(1024 * 1024, 300 + i);
                all.add(pool.submit(() -> {
                    Transfers.echoChecked(lb.port(), payload);
                    return null;
                }));
            }
            for (Future<?> f : all) f.get();
            lb.awaitIdle();
            lb.assertAlive();
        }
    }
}
