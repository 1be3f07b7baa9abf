package hpio.exercises.ex2;

import hpio.net.IoBuffer;
import hpio.net.PeerAddress;
import hpio.net.Sockets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * The real socket layer with a recorder in front: what the server read from and
 * wrote to each client, and the mistakes that can be named at the moment they
 * are made (a read with no room, more bytes held than the buffer, one client read
 * a thousand times in one turn). One client may be made endless: every read of
 * it returns a full buffer and every write is taken whole, as if it streamed
 * without pause and read as fast as we write, so draining it never meets EAGAIN.
 *
 * <p>Called on the server's loop thread; the counters are read by the test's.
 */
final class WatchedSockets implements Sockets {
    /** Reads of one client within one wait of the loop that no budget would allow. */
    static final int TURN_LIMIT = 1000;

    /** What the server did with one accepted client. */
    static final class Flow {
        final int fd;
        final int peerPort;
        final boolean endless;
        volatile long read;          // bytes
        volatile long written;       // bytes
        volatile long reads;         // calls
        volatile int refusedWrites;  // writes that took less than asked (short) or nothing (AGAIN)
        volatile boolean eof;
        volatile long heldAtEof = -1;
        private long turn = -1;
        private int readsThisTurn;

        Flow(int fd, int peerPort, boolean endless) {
            this.fd = fd;
            this.peerPort = peerPort;
            this.endless = endless;
        }
    }

    private final Sockets real;
    private final int bound;
    private volatile LongSupplier waits = () -> 0;
    private volatile int endlessPeerPort = -1;
    private final Map<Integer, Flow> live = new ConcurrentHashMap<>();
    private final Map<Integer, Flow> byPeerPort = new ConcurrentHashMap<>();
    final List<String> violations = new CopyOnWriteArrayList<>();

    /** @param bound the server's buffer size: the most bytes it may hold for one client */
    WatchedSockets(Sockets real, int bound) {
        this.real = real;
        this.bound = bound;
    }

    /** The loop's wake-up count, to tell one turn from the next. */
    void countTurnsWith(LongSupplier waits) { this.waits = waits; }

    /** The client connecting from {@code port} will stream without end. */
    void makeEndless(int port) { this.endlessPeerPort = port; }

    /** The flow of the client connected from local port {@code port}, or null before it is accepted. */
    Flow flow(int port) { return byPeerPort.get(port); }

    private void violation(String what) {
        if (!violations.contains(what)) violations.add(what);
    }

    @Override
    public int accept(int listenFd, PeerAddress peer) throws IOException {
        int fd = real.accept(listenFd, peer);
        if (fd >= 0) {
            Flow f = new Flow(fd, peer.port(), peer.port() == endlessPeerPort);
            live.put(fd, f);
            byPeerPort.put(peer.port(), f);
        }
        return fd;
    }

    @Override
    public int read(int fd, IoBuffer buffer, int offset, int length) throws IOException {
        Flow f = live.get(fd);
        if (f == null) return real.read(fd, buffer, offset, length);
        long turn = waits.getAsLong();
        if (turn != f.turn) {
            f.turn = turn;
            f.readsThisTurn = 0;
        }
        if (++f.readsThisTurn > TURN_LIMIT) {
            String what = f.eof
                    ? "read a client again and again after its EOF (read returned 0): nothing more will come, stop reading it"
                    : "read one client " + TURN_LIMIT + " times without the loop waiting once: a client that never"
                      + " runs dry (it streams without pause) starves every other one; give each connection a read"
                      + " budget per turn and keep the ones that spent it on a ready list";
            violation(what);
            throw new IOException("test guard: " + what);    // ends the runaway loop; the connection is dropped
        }
        if (length == 0) {
            violation("read with no room left in the buffer (length 0): such a read returns 0, which looks like EOF;"
                    + " stop reading while the kept buffer is full (back-pressure) and resume once it has room");
        }
        int n = f.endless ? length : real.read(fd, buffer, offset, length);
        f.reads++;
        if (n > 0) {
            f.read += n;
            long held = f.read - f.written;
            if (held > bound) {
                violation("held " + held + " bytes read from one client and not yet echoed, more than the buffer of "
                        + bound + ": stop reading while the kept buffer is full (back-pressure)");
            }
        } else if (n == 0 && length > 0 && !f.eof) {
            f.eof = true;
            f.heldAtEof = f.read - f.written;
        }
        return n;
    }

    @Override
    public int write(int fd, IoBuffer buffer, int offset, int length) throws IOException {
        Flow f = live.get(fd);
        if (f == null) return real.write(fd, buffer, offset, length);
        int n = f.endless ? length : real.write(fd, buffer, offset, length);
        if (n == AGAIN || n < length) f.refusedWrites++;
        if (n > 0) f.written += n;
        return n;
    }

    @Override
    public void close(int fd) throws IOException {
        live.remove(fd);
        real.close(fd);
    }

    @Override public int listen(InetSocketAddress local, int backlog, boolean reusePort) throws IOException {
        return real.listen(local, backlog, reusePort);
    }

    @Override public int localPort(int fd) throws IOException { return real.localPort(fd); }

    @Override public int connect(InetSocketAddress remote) throws IOException { return real.connect(remote); }

    @Override public boolean finishConnect(int fd) throws IOException { return real.finishConnect(fd); }

    @Override public void shutdownOutput(int fd) throws IOException { real.shutdownOutput(fd); }

    @Override public String kind() { return real.kind() + ", watched by the ex2 tests"; }
}
