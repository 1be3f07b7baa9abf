package hpio.exercises.ex4;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.exercises.Transfers;
import hpio.lb.LbConfig;
import hpio.net.IoBuffer;
import hpio.net.PeerAddress;
import hpio.net.Sockets;
import hpio.testing.Peers;
import hpio.testing.RunningBalancer;
import hpio.transport.Transport;
import java.io.InputStream;
import java.net.InetSocketAddress;
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

/** Exercise 2: the buffer on its own, then the balancer with --write-buffer. */
@Timeout(60)
class WriteBufferTest {
    private static final int HIGH = 256 * 1024;
    private static final int ONE_READ = 64 * 1024;

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
                Peers.await("the balancer buffers for the stalled client", () -> lb.lb.maxBuffered() >= HIGH);

                List<Future<?>> others = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    byte[] payload = Transfers.randomBytes(1024 * 1024, 100 + i);
                    others.add(pool.submit(() -> {
                        Transfers.echoChecked(lb.port(), payload);
                        return null;
                    }));
                }
                for (Future<?> f : others) f.get(45, TimeUnit.SECONDS);   // all done; the stalled one read nothing

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
                assertThat(total).isEqualTo(big.length);
                assertThat(digest.digest()).isEqualTo(Transfers.sha256(big));
                assertThat(lb.lb.maxBuffered()).as("bytes held for one connection")
                        .isLessThanOrEqualTo(HIGH + ONE_READ);
                lb.awaitIdle();
            }
        }
    }
}
