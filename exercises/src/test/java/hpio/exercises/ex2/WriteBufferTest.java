package hpio.exercises.ex2;

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
    void watermarksFollowTheBytesHeld() {
        WriteBuffer b = new WriteBuffer(100, 40);
        IoBuffer src = IoBuffer.allocate(1000);
        assertThat(b.size()).isZero();
        assertThat(b.atOrBelowLowWatermark()).isTrue();
        b.append(src, 0, 60);
        assertThat(b.size()).isEqualTo(60);
        assertThat(b.aboveHighWatermark()).isFalse();
        assertThat(b.atOrBelowLowWatermark()).isFalse();
        b.append(src, 0, 40);
        assertThat(b.aboveHighWatermark()).isTrue();
        b.clear();
        assertThat(b.size()).isZero();
        assertThat(b.aboveHighWatermark()).isFalse();
    }

    /** Bytes go out in order, across the ring's wrap-around, through a real loopback socket. */
    @Test
    void bytesComeOutInOrderAcrossTheWrap() throws Exception {
        try (Transport transport = Transport.open("auto", 16)) {
            Sockets sockets = transport.sockets();
            int listenFd = sockets.listen(new InetSocketAddress("127.0.0.1", 0), 8);
            try (Socket peer = new Socket("127.0.0.1", sockets.localPort(listenFd))) {
                int fd = Sockets.AGAIN;
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (fd == Sockets.AGAIN && System.nanoTime() < end) fd = sockets.accept(listenFd, new PeerAddress());
                assertThat(fd).isNotEqualTo(Sockets.AGAIN);

                WriteBuffer b = new WriteBuffer(HIGH, HIGH / 2);
                byte[] expected = Transfers.randomBytes(3 * HIGH, 7);
                IoBuffer chunk = IoBuffer.allocate(ONE_READ);
                InputStream in = peer.getInputStream();
                byte[] received = new byte[expected.length];
                int appended = 0, got = 0;
                // Fill, drain some, fill again: the ring's tail wraps round its end.
                while (got < expected.length) {
                    while (appended < expected.length && !b.aboveHighWatermark()) {
                        int n = Math.min(ONE_READ - 1000, expected.length - appended);   // odd sizes
                        chunk.put(0, expected, appended, n);
                        b.append(chunk, 0, n);
                        appended += n;
                        assertThat(b.size()).isLessThanOrEqualTo(HIGH + ONE_READ);
                    }
                    int before = b.size();
                    int written = b.writeTo(sockets, fd);
                    assertThat(b.size()).isEqualTo(before - written);
                    int toRead = written;
                    while (toRead > 0) {
                        int n = in.read(received, got, toRead);
                        got += n;
                        toRead -= n;
                    }
                }
                assertThat(received).isEqualTo(expected);
                sockets.close(fd);
            } finally {
                sockets.close(listenFd);
            }
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
