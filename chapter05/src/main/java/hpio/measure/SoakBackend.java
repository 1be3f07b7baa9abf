package hpio.measure;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An echo-and-checksum backend for the soak, in the runner's own process (a
 * virtual thread per connection, blocking sockets: plain and obviously right).
 * Per connection it reads a 16-byte header (transfer id, payload length), echoes
 * the payload as it arrives while hashing it, then sends the SHA-256 of what it
 * received, shuts its sending side and reads to EOF. The client so checks both
 * directions: the echo against the bytes it sent, the digest against their hash.
 *
 * <p>Faults: {@link #kill} drops the listener and every connection at once, as a
 * killed process would (reset, or FIN when nothing was unread); {@link #start}
 * binds the same port again. {@link #pause} stops every read, so the kernel's
 * receive buffer, then the balancer's write queue, fill up; {@link #resume}
 * reads again.
 */
final class SoakBackend {
    static final int HEADER = 16;
    static final int DIGEST = 32;

    final String name;
    final int port;
    private final SoakLedger ledger;
    private final Set<Served> open = ConcurrentHashMap.newKeySet();
    private final Object pauseLock = new Object();
    private ServerSocket server;              // null while killed; guarded by this
    private volatile boolean paused;

    /** One accepted connection, and the transfer it carries once its header is read. */
    private static final class Served {
        final Socket socket;
        volatile long id = -1;

        Served(Socket socket) { this.socket = socket; }
    }

    SoakBackend(String name, int port, SoakLedger ledger) {
        this.name = name;
        this.port = port;
        this.ledger = ledger;
    }

    /** Listens on 127.0.0.1:port (again, after a kill: SO_REUSEADDR lets it rebind at once). */
    synchronized void start() throws IOException {
        if (server != null) return;
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress("127.0.0.1", port), 1024);
        server = s;
        Thread.ofVirtual().name("soak-" + name + "-accept").start(() -> acceptLoop(s));
    }

    synchronized boolean isUp() { return server != null; }

    /**
     * Closes the listener and every connection, marking the transfers they carried
     * as hit. {@code reset}: SO_LINGER 0, so each peer gets RST (what a kill does
     * with bytes unread); else FIN, as a kill when everything was read.
     */
    void kill(boolean reset) {
        List<Served> victims;
        synchronized (this) {
            if (server == null) return;
            closeQuietly(server);
            server = null;
            victims = new ArrayList<>(open);
        }
        for (Served c : victims) {
            // Marked before the close: the client may see the cut at once.
            long id = c.id;
            if (id >= 0) ledger.hit(id, "backend killed");
            abort(c.socket, reset);
        }
    }

    void pause() { paused = true; }

    void resume() {
        synchronized (pauseLock) {
            paused = false;
            pauseLock.notifyAll();
        }
    }

    /** Connections open now (idle ones from the slowloris fault included). */
    int connections() { return open.size(); }

    private void acceptLoop(ServerSocket s) {
        while (true) {
            Socket socket;
            try {
                socket = s.accept();
            } catch (IOException e) {
                return;                           // killed or stopped
            }
            Served c = new Served(socket);
            synchronized (this) {
                // Accepted just as a kill closed the listener: it dies with the others.
                if (server != s) {
                    abort(socket, true);
                    continue;
                }
                open.add(c);
            }
            Thread.ofVirtual().name("soak-" + name).start(() -> serve(c));
        }
    }

    private void serve(Served c) {
        byte[] buffer = new byte[64 * 1024];
        try (Socket s = c.socket) {
            s.setTcpNoDelay(true);
            DataInputStream in = new DataInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            awaitResumed();
            long id = in.readLong();
            long length = in.readLong();
            c.id = id;
            ledger.served(id);
            MessageDigest sha = sha256();
            long left = length;
            while (left > 0) {
                awaitResumed();
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) return;                // the client went early: nothing to answer
                sha.update(buffer, 0, n);
                out.write(buffer, 0, n);
                left -= n;
            }
            out.write(sha.digest());
            out.flush();
            s.shutdownOutput();
            drain(in, buffer);
        } catch (IOException e) {
            // reset, killed, or a connection that sent no header (slowloris, refused burst): it ends here
        } finally {
            open.remove(c);
        }
    }

    /** Reads to EOF, pausing like any other read. */
    private void drain(InputStream in, byte[] buffer) throws IOException {
        while (true) {
            awaitResumed();
            if (in.read(buffer) < 0) return;
        }
    }

    private void awaitResumed() {
        if (!paused) return;
        synchronized (pauseLock) {
            while (paused) {
                try {
                    pauseLock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** The end of the run: stop listening, end every connection, never pause again. */
    void stop() {
        resume();
        kill(false);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    /** Closes at once; with {@code reset}, SO_LINGER 0 makes the close send RST. */
    static void abort(Socket s, boolean reset) {
        try {
            if (reset) s.setSoLinger(true, 0);
        } catch (IOException ignored) {
            // closed already
        }
        closeQuietly(s);
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing is all we wanted
        }
    }
}
