package hpio.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The other ends for the balancer's tests: backend servers on loopback, written
 * with plain blocking java.net sockets on virtual threads, so they cannot share a
 * bug with the code under test.
 */
public final class Peers {
    private Peers() {}

    public static final Duration DEADLINE = Duration.ofSeconds(20);

    /** Waits for a condition, failing after a generous deadline (never a fixed sleep). */
    public static void await(String what, BooleanSupplier condition) {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out waiting until " + what);
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    /**
     * A port nothing listens on (bound, then closed), taken below the ephemeral range
     * (Linux's default is 32768-60999, macOS's 49152-65535). A port from bind(0) is
     * one the kernel hands out again: when load tests on the machine have used up most
     * of the range (tens of thousands of TIME_WAITs), the next bind(0), say the echo
     * backend a test makes right after, or a connect, gets the same port, and the
     * balancer meant for it fails with EADDRINUSE.
     */
    public static int deadPort() throws IOException {
        for (int i = 0; i < 100; i++) {
            int port = 20_000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(12_000);
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (java.net.BindException taken) {
                // someone's: try another
            }
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** What every backend here shares: an accept loop, one virtual thread per connection. */
    public abstract static class Server implements AutoCloseable {
        public final ServerSocket server;
        public final AtomicInteger accepted = new AtomicInteger();
        public final AtomicInteger open = new AtomicInteger();
        private final java.util.Set<Socket> sockets = ConcurrentHashMap.newKeySet();
        private final Thread acceptor;

        protected Server(int port) throws IOException {
            server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 4096);
            acceptor = Thread.ofPlatform().daemon().name("peer-accept-" + port()).start(this::acceptLoop);
        }

        public int port() { return server.getLocalPort(); }

        public String spec() { return "127.0.0.1:" + port(); }

        private void acceptLoop() {
            while (!server.isClosed()) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    return;
                }
                accepted.incrementAndGet();
                open.incrementAndGet();
                sockets.add(s);
                Thread.ofVirtual().start(() -> {
                    try (s) {
                        serve(s);
                    } catch (IOException ignored) {
                        // the client reset: part of some tests
                    } finally {
                        sockets.remove(s);
                        open.decrementAndGet();
                    }
                });
            }
        }

        protected abstract void serve(Socket s) throws IOException;

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) s.close();
        }
    }

    /** Sends back every byte, then passes the client's EOF on. */
    public static final class Echo extends Server {
        public Echo() throws IOException { super(0); }

        public Echo(int port) throws IOException { super(port); }

        @Override
        protected void serve(Socket s) throws IOException {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) out.write(buf, 0, n);
            s.shutdownOutput();
        }
    }

    /** Reads until the client's EOF, then answers with a reply of a given size and closes. */
    public static final class ReplyAfterEof extends Server {
        public final int replySize;

        public ReplyAfterEof(int replySize) throws IOException {
            super(0);
            this.replySize = replySize;
        }

        @Override
        protected void serve(Socket s) throws IOException {
            long got = s.getInputStream().transferTo(OutputStream.nullOutputStream());
            byte[] reply = new byte[replySize];
            byte[] head = ("received " + got + " bytes\n").getBytes();
            System.arraycopy(head, 0, reply, 0, Math.min(head.length, reply.length));
            s.getOutputStream().write(reply);
        }
    }

    /** Answers each connection with its own name and closes. */
    public static final class Named extends Server {
        public final String name;

        public Named(String name) throws IOException {
            super(0);
            this.name = name;
        }

        @Override
        protected void serve(Socket s) throws IOException {
            s.getOutputStream().write(name.getBytes());
        }
    }

    /** Answers the first bytes it gets with a reply, then resets the connection (RST, not FIN). */
    public static final class ReplyThenReset extends Server {
        public final int replySize;

        public ReplyThenReset(int replySize) throws IOException {
            super(0);
            this.replySize = replySize;
        }

        @Override
        protected void serve(Socket s) throws IOException {
            s.getInputStream().read();
            s.getOutputStream().write(new byte[replySize]);
            s.setSoLinger(true, 0);          // close() now sends RST
        }
    }

    /** Counts the bytes until EOF or a reset. */
    public static long countUntilEnd(Socket s) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        try {
            int n;
            while ((n = s.getInputStream().read(buf)) > 0) total += n;
        } catch (SocketException reset) {
            // the count so far is the answer
        }
        return total;
    }

    /** Opens a client to the balancer. */
    public static Socket client(int port) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
            s.setSoTimeout((int) DEADLINE.toMillis());
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** Reads until EOF, or returns what it had when the connection was reset. */
    public static byte[] readAll(Socket s) throws IOException {
        try {
            return s.getInputStream().readAllBytes();
        } catch (SocketException reset) {
            return new byte[0];
        }
    }
}
