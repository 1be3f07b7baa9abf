package hpio.exercises.ex4;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.exercises.Transfers;
import hpio.lb.LbConfig;
import hpio.testing.Peers;
import hpio.testing.RunningBalancer;
import java.io.InputStream;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Exercise 4, end to end: the balancer with --write-buffer (a high watermark of
 * 256 KiB), real sockets on loopback. The buffer on its own, with a fake
 * destination: {@code WriteBufferUnitTest}.
 */
@Timeout(60)
class WriteBufferTest {
    private static final int HIGH = 256 * 1024;
    private static final int ONE_READ = 64 * 1024;

    /** Waits until one flow has held {@code bytes}; fails at once if the balancer's log shows the queue throwing. */
    private static void awaitBuffering(RunningBalancer lb, int bytes) {
        // A queue that throws closes its connection, so the bytes would never pile up:
        // fail at once with the balancer's line (an exception, or a stub's TODO), not after the deadline.
        java.util.function.Predicate<String> threw = l -> l.contains("Exception") || l.contains("not done yet");
        Peers.await("the balancer holds " + bytes + " bytes for a client that does not read",
                () -> lb.lb.maxBuffered() >= bytes || lb.log().lines().anyMatch(threw));
        if (lb.lb.maxBuffered() < bytes) {
            String line = lb.log().lines().filter(threw).findFirst().orElse("");
            throw new AssertionError("the write queue threw in the balancer: " + line);
        }
    }

    @Test
    void aStalledClientDoesNotStallFiftyOthersAndNoByteIsLost() throws Exception {
        LbConfig cfg;
        try (Peers.Echo echo = new Peers.Echo()) {
            cfg = Transfers.config("auto", echo.spec())
                    .withExercises(LbConfig.Exercises.NONE.withWriteBuffer(HIGH));
            try (RunningBalancer lb = new RunningBalancer(cfg);
                 ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
                 Socket stalled = Peers.client(lb.port())) {
                // The stalled client sends 8 MiB and reads nothing (yet): its echo backs up
                // into the balancer, which must stop reading that backend, not everyone.
                byte[] big = Transfers.randomBytes(8 * 1024 * 1024, 3);
                Future<?> stalledWriter = pool.submit(() -> {
                    stalled.getOutputStream().write(big);
                    stalled.shutdownOutput();
                    return null;
                });
                awaitBuffering(lb, HIGH);

                List<Future<?>> others = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    byte[] payload = Transfers.randomBytes(1024 * 1024, 100 + i);
                    others.add(pool.submit(() -> {
                        Transfers.echoChecked(lb.port(), payload);
                        return null;
                    }));
                }
                for (Future<?> f : others) {                          // all done; the stalled one read nothing
                    try {
                        f.get(30, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.TimeoutException e) {
                        throw new AssertionError("50 clients not served within 30 s while one stalled: is the"
                                + " WRITE interest of a flow with bytes held ever switched on?");
                    }
                }

                // Now it reads: every byte arrives, in order.
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                byte[] buf = new byte[64 * 1024];
                long total = 0;
                int n;
                while ((n = stalled.getInputStream().read(buf)) > 0) {
                    digest.update(buf, 0, n);
                    total += n;
                }
                stalledWriter.get();
                assertThat(total).as("bytes echoed to the stalled client").isEqualTo(big.length);
                assertThat(digest.digest()).as("SHA-256 of the stalled client's echo: bytes lost or reordered")
                        .isEqualTo(Transfers.sha256(big));
                assertThat(lb.lb.maxBuffered())
                        .as("bytes held for one connection, above the high watermark + one read: no pause at the"
                                + " high watermark?")
                        .isLessThanOrEqualTo(HIGH + ONE_READ);
                lb.awaitIdle();
            }
        }
    }

    @Test
    void aDrainedBufferLeavesTheLoopAsleep() throws Exception {
        try (Peers.Echo echo = new Peers.Echo();
             RunningBalancer lb = new RunningBalancer(Transfers.config("auto", echo.spec())
                     .withExercises(LbConfig.Exercises.NONE.withWriteBuffer(HIGH)));
             Socket client = Peers.client(lb.port())) {
            // 8 MiB sent before any is read: the echo backs up, the balancer's writes come up
            // short, and the write buffers fill and drain. The connection then stays open, idle.
            byte[] big = Transfers.randomBytes(8 * 1024 * 1024, 4);
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    client.getOutputStream().write(big);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            awaitBuffering(lb, 1);
            client.setSoTimeout(20_000);
            byte[] back = client.getInputStream().readNBytes(big.length);
            writer.join();
            assertThat(back).as("the 8 MiB echo, whole and in order").isEqualTo(big);

            // Nothing is held now and nothing moves: the loop should sleep in the kernel.
            long before = lb.reactor().loopWaits();
            long start = System.nanoTime();
            Thread.sleep(500);                                     // a period to count wake-ups over
            long waits = lb.reactor().loopWaits() - before;
            long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("ex4: wake-ups in %d idle ms after a short write: %d%n", millis, waits);
            assertThat(waits)
                    .as("the loop woke %d times in %d ms with nothing to do: WRITE interest still on with nothing"
                            + " to write (a socket with room is always writable)", waits, millis)
                    .isLessThan(50);
            client.close();
            lb.awaitIdle();
        }
    }

    /**
     * With two loops ({@code --threads 2}) every flow's queue lives on its loop: one client stalls
     * (its queue holds a high watermark's worth), sixteen transfers go on at once, no byte lost.
     */
    @Test
    void withTwoLoopsSixteenTransfersAtOnceLoseNoByte() throws Exception {
        try (Peers.Echo echo = new Peers.Echo();
             RunningBalancer lb = new RunningBalancer(Transfers.config("auto", echo.spec()).withThreads(2)
                     .withExercises(LbConfig.Exercises.NONE.withWriteBuffer(HIGH)));
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
             Socket stalled = Peers.client(lb.port())) {
            // Without a client that stops reading, loopback takes every write whole and the queue is
            // never asked to hold anything: the test would pass on an empty stub.
            byte[] big = Transfers.randomBytes(8 * 1024 * 1024, 399);          // as much as the one-loop test: kernel buffers take megabytes first
            Future<?> stalledWriter = pool.submit(() -> {
                stalled.getOutputStream().write(big);
                stalled.shutdownOutput();
                return null;
            });
            awaitBuffering(lb, HIGH);
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                byte[] payload = Transfers.randomBytes(2 * 1024 * 1024, 400 + i);
                all.add(pool.submit(() -> {
                    Transfers.echoChecked(lb.port(), payload);
                    return null;
                }));
            }
            for (Future<?> f : all) f.get(60, TimeUnit.SECONDS);
            assertThat(stalled.getInputStream().readAllBytes()).as("the stalled client's echo: bytes lost or reordered")
                    .isEqualTo(big);
            stalledWriter.get();
            lb.awaitIdle();
            lb.assertAlive();
        }
    }
}
