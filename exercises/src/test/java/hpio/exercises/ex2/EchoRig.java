package hpio.exercises.ex2;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.loop.EventLoops;
import hpio.transport.Transport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;

/**
 * One {@link EchoServer} on loopback, run on a thread of its own, with its sockets
 * watched ({@link WatchedSockets}) and its loop's failure reports kept. Every wait
 * here checks first that the server has not thrown or made a named mistake, so a
 * failure says what went wrong, not only that something timed out.
 */
final class EchoRig implements AutoCloseable {
    /** The longest any one step may take before it counts as a stall. */
    static final Duration STEP = Duration.ofSeconds(5);

    final Transport transport;
    final WatchedSockets sockets;
    final EchoServer server;
    final boolean edge;
    private final ByteArrayOutputStream failures = new ByteArrayOutputStream();
    private final AtomicReference<Throwable> crashed = new AtomicReference<>();
    private final List<Socket> clients = new ArrayList<>();
    private Thread thread;

    /** The best edge-capable backend here, or a skipped test that says why there is none. */
    static String edgeCapableBackend() {
        String b = EventLoops.isAvailable("epoll") ? "epoll" : EventLoops.isAvailable("kqueue") ? "kqueue" : null;
        String why = "exercise 2 needs an edge-triggered backend (epoll on Linux, kqueue on macOS or FreeBSD);"
                + " this is " + System.getProperty("os.name") + ": skipped";
        if (b == null) System.out.println(why);
        Assumptions.assumeTrue(b != null, why);
        return b;
    }

    EchoRig(boolean edge, int bufferSize) throws IOException {
        this.edge = edge;
        transport = Transport.open(edgeCapableBackend(), 256);
        sockets = new WatchedSockets(transport.sockets(), bufferSize);
        server = new EchoServer(transport.loop(), sockets, new InetSocketAddress("127.0.0.1", 0), bufferSize, edge);
        sockets.countTurnsWith(server.loop()::waits);
        server.loop().setFailureLog(new PrintStream(failures, true, StandardCharsets.UTF_8));
    }

    /** Starts the loop on its own thread. */
    EchoRig start() {
        thread = Thread.ofPlatform().daemon().name("ex2-echo-server").start(() -> {
            try {
                server.run();
            } catch (Throwable t) {
                crashed.set(t);
            }
        });
        return this;
    }

    int port() { return server.port(); }

    /** Fails if the server has thrown or made a mistake the watched sockets could name. */
    void check() {
        String log = failures.toString(StandardCharsets.UTF_8);
        if (!sockets.violations.isEmpty()) throw new AssertionError("the server " + sockets.violations.getFirst());
        if (!log.isEmpty()) throw new AssertionError("a handler of the server threw: " + log.strip());
        Throwable t = crashed.get();
        if (t != null) throw new AssertionError("the server's loop stopped with " + t, t);
    }

    /** A client connected to the server, its reads timing out after a moment so that waits can check the server. */
    Socket client() throws IOException {
        return client(new Socket());
    }

    /** Connects {@code s} (perhaps bound already) to the server. */
    Socket client(Socket s) throws IOException {
        clients.add(s);
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port()), 5_000);
        s.setSoTimeout(100);
        s.setTcpNoDelay(true);
        return s;
    }

    /**
     * Reads exactly {@code length} bytes into {@code into} at {@code offset}, in
     * pieces of at most {@code piece} bytes; fails naming the stall if they do not all
     * come within {@link #STEP} (since the last byte that came), or the stream ends first.
     */
    void readFully(Socket s, byte[] into, int offset, int length, int piece, Supplier<String> stalled,
                   Supplier<String> ended) throws IOException {
        InputStream in = s.getInputStream();
        long deadline = System.nanoTime() + STEP.toNanos();
        int got = 0;
        while (got < length) {
            check();
            int n;
            try {
                n = in.read(into, offset + got, Math.min(piece, length - got));
            } catch (SocketTimeoutException e) {
                if (System.nanoTime() > deadline) {
                    check();
                    throw new AssertionError(stalled.get() + " [" + got + " of " + length + " bytes came back]");
                }
                continue;
            }
            if (n < 0) {
                check();
                throw new AssertionError(ended.get() + " [" + got + " of " + length + " bytes came back]");
            }
            got += n;
            deadline = System.nanoTime() + STEP.toNanos();
        }
        check();
    }

    /** Waits until the client's stream ends (the server closed), failing with {@code stalled} after {@link #STEP}. */
    void awaitEnd(Socket s, String stalled) throws IOException {
        InputStream in = s.getInputStream();
        long deadline = System.nanoTime() + STEP.toNanos();
        while (true) {
            check();
            try {
                int b = in.read();
                if (b < 0) return;
                throw new AssertionError("the server sent a byte nobody sent it (" + b + ")");
            } catch (SocketTimeoutException e) {
                if (System.nanoTime() > deadline) throw new AssertionError(stalled);
            }
        }
    }

    /** Waits for {@code condition}, checking the server meanwhile; fails with {@code message} after {@link #STEP}. */
    void await(BooleanSupplier condition, Supplier<String> message) {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (!condition.getAsBoolean()) {
            check();
            if (System.nanoTime() > deadline) throw new AssertionError(message.get());
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        check();
    }

    /** How often the loop waited in the kernel during {@code period} (a measurement, not a synchronisation). */
    long waitsDuring(Duration period) throws InterruptedException {
        long before = server.loop().waits();
        Thread.sleep(period.toMillis());
        return server.loop().waits() - before;
    }

    /** Starts writing {@code bytes} (and then shuts the output, if asked) on a thread of its own. */
    static Thread sendInBackground(Socket s, byte[] bytes, int offset, int length, boolean thenShutdown) {
        return Thread.ofVirtual().start(() -> {
            try {
                s.getOutputStream().write(bytes, offset, length);
                if (thenShutdown) s.shutdownOutput();
            } catch (IOException e) {
                // the test has failed and closed the socket; its own message says why
            }
        });
    }

    @Override
    public void close() throws Exception {
        for (Socket s : clients) s.close();
        server.stop();
        if (thread != null) thread.join(STEP.toMillis());
        if (thread == null || !thread.isAlive()) transport.close();   // else it is stuck in a handler: leave it
    }
}
