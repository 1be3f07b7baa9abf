package hpio.loop.backends;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import hpio.loop.EventLoop;
import hpio.loop.EventLoops;
import hpio.loop.Events;
import hpio.net.IoBuffer;
import hpio.net.PeerAddress;
import hpio.net.Sockets;
import hpio.transport.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The kqueue backend against the real kernel: real sockets on loopback. Runs on
 * macOS and FreeBSD; elsewhere it is reported as skipped, with the reason.
 */
class KqueueRealKernelTest {
    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private EventLoop loop;
    private Sockets sockets;
    private final List<Integer> openFds = new ArrayList<>();
    private final IoBuffer buffer = IoBuffer.allocate(4096);

    private static final boolean AVAILABLE = EventLoops.isAvailable("kqueue");
    private static final String SKIP_REASON = "kqueue needs macOS or FreeBSD; this is " + System.getProperty("os.name");

    @BeforeAll
    static void sayWhySkipped() {
        if (!AVAILABLE) System.out.println("KqueueRealKernelTest skipped: " + SKIP_REASON);
    }

    // The assumption is per test, not in @BeforeAll: Maven Surefire counts a class
    // aborted in @BeforeAll as "Tests run: 0, Skipped: 0" (SUREFIRE-2300), while
    // this way each test is reported as skipped, with the reason.
    @BeforeEach
    void openLoop() throws IOException {
        Assumptions.assumeTrue(AVAILABLE, SKIP_REASON);
        Transport transport = Transport.open("kqueue", 64);
        loop = transport.loop();
        sockets = transport.sockets();
        assertThat(loop.backendName()).isEqualTo("kqueue");
    }

    @AfterEach
    void closeAll() throws IOException {
        if (loop == null) return;
        for (int fd : openFds) {
            if (loop.isRegistered(fd)) loop.remove(fd);
            sockets.close(fd);
        }
        loop.close();
    }

    private int track(int fd) {
        openFds.add(fd);
        return fd;
    }

    /** Runs the loop until {@code done} holds, failing after a generous deadline (not a timing assertion). */
    private void runUntil(String what, BooleanSupplier done) throws IOException {
        long deadline = System.nanoTime() + DEADLINE_NANOS;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) fail("no " + what + " within 10 s");
            loop.runOnce(100);
        }
    }

    /** A connected loopback pair {client, server}; neither is registered when it returns. */
    private int[] connectedPair() throws IOException {
        int listener = track(sockets.listen(new InetSocketAddress("127.0.0.1", 0), 16));
        int client = track(sockets.connect(new InetSocketAddress("127.0.0.1", sockets.localPort(listener))));
        int[] server = {-1};
        boolean[] connected = {false};
        PeerAddress peer = new PeerAddress();
        loop.add(listener, Events.READ, (fd, events) -> {
            int accepted = sockets.accept(fd, peer);
            if (accepted >= 0) server[0] = track(accepted);
        });
        // A non-blocking connect is done when the socket turns writable (EVFILT_WRITE).
        loop.add(client, Events.WRITE, (fd, events) -> connected[0] |= sockets.finishConnect(fd));
        runUntil("accepted, connected pair", () -> server[0] >= 0 && connected[0]);
        loop.remove(listener);
        loop.remove(client);
        return new int[] {client, server[0]};
    }

    private void send(int fd, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        buffer.put(0, bytes, 0, bytes.length);
        assertThat(sockets.write(fd, buffer, 0, bytes.length)).isEqualTo(bytes.length);
    }

    @Test
    void readableWhenThePeerWrites() throws IOException {
        int[] pair = connectedPair();
        StringBuilder received = new StringBuilder();
        List<Integer> seen = new ArrayList<>();
        loop.add(pair[1], Events.READ, (fd, events) -> {
            seen.add(events);
            int n = sockets.read(fd, buffer, 0, buffer.capacity());
            for (int i = 0; i < n; i++) received.append((char) buffer.segment().get(JAVA_BYTE, i));
        });
        send(pair[0], "hello");
        runUntil("READ with 5 bytes", () -> received.length() == 5);
        assertThat(received.toString()).isEqualTo("hello");
        assertThat(seen).allSatisfy(events -> assertThat(events & Events.READ).isNotZero());
    }

    @Test
    void hangUpWhenThePeerCloses() throws IOException {
        int[] pair = connectedPair();
        int[] fired = {0};
        loop.add(pair[1], Events.READ, (fd, events) -> {
            fired[0] = events;
            if ((events & Events.HUP) != 0) loop.remove(fd);   // EV_EOF is level: stop hearing it
        });
        openFds.remove(Integer.valueOf(pair[0]));
        sockets.close(pair[0]);
        runUntil("HUP after the peer closed", () -> (fired[0] & Events.HUP) != 0);
        assertThat(fired[0] & Events.READ).as("EOF is readable too").isNotZero();
    }

    @Test
    void edgeTriggeredNotifiesOncePerArrival() throws IOException {
        int[] pair = connectedPair();
        int[] notified = {0};
        // EDGE (EV_CLEAR) and no read: level-triggered would report the fd on every wait.
        loop.add(pair[1], Events.READ | Events.EDGE, (fd, events) -> notified[0]++);
        send(pair[0], "a");
        runUntil("the first notification", () -> notified[0] >= 1);
        for (int i = 0; i < 3; i++) loop.runOnce(0);
        assertThat(notified[0]).as("unread data is not reported again").isEqualTo(1);
        send(pair[0], "b");
        runUntil("a notification for new data", () -> notified[0] >= 2);
        assertThat(notified[0]).isEqualTo(2);
    }

    @Test
    void levelTriggeredNotifiesWhileDataIsUnread() throws IOException {
        int[] pair = connectedPair();
        int[] notified = {0};
        loop.add(pair[1], Events.READ, (fd, events) -> notified[0]++);
        send(pair[0], "a");
        runUntil("the first notification", () -> notified[0] >= 1);
        runUntil("a second notification for the same unread byte", () -> notified[0] >= 2);
    }
}
