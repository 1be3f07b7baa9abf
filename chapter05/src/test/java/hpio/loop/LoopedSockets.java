package hpio.loop;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.net.PeerAddress;
import hpio.net.Sockets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Test helpers: loopback sockets made through a loop's own socket layer, and waiting without sleeps. */
public final class LoopedSockets {
    private LoopedSockets() {}

    public static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    public static final Duration DEADLINE = Duration.ofSeconds(10);

    /** One end accepted by the loop's socket layer, the other a plain blocking java.net.Socket. */
    public record Pair(int fd, Socket peer) implements AutoCloseable {
        @Override public void close() throws IOException { peer.close(); }
    }

    public static int listen(Sockets sockets) throws IOException {
        return sockets.listen(ANY_LOOPBACK, 128);
    }

    public static Pair connectedPair(Sockets sockets, int listenFd) throws IOException {
        Socket peer = new Socket("127.0.0.1", sockets.localPort(listenFd));
        peer.setTcpNoDelay(true);
        PeerAddress from = new PeerAddress();
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (true) {
            int fd = sockets.accept(listenFd, from);
            if (fd != Sockets.AGAIN) {
                assertThat(from.port()).isEqualTo(peer.getLocalPort());
                return new Pair(fd, peer);
            }
            if (System.nanoTime() > end) throw new AssertionError("accept found no connection");
            Thread.onSpinWait();
        }
    }

    /** Runs the loop until {@code done} holds, failing after a generous deadline. */
    public static void runUntil(EventLoop loop, BooleanSupplier done) throws IOException {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("condition not reached within " + DEADLINE);
            loop.runOnce(100);
        }
    }
}
