package hpio.exercises.ex2;

import static hpio.loop.Events.ERROR;
import static hpio.loop.Events.HUP;
import static hpio.loop.Events.READ;
import static hpio.loop.Events.WRITE;

import hpio.loop.EventLoop;
import hpio.loop.Events;
import hpio.loop.Timer;
import hpio.net.IoBuffer;
import hpio.net.PeerAddress;
import hpio.net.Sockets;
import hpio.transport.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Exercise 2: an edge-triggered echo server, on the raw loop (no balancer).
 *
 * <p>MUTANT close-at-eof: drops what is still kept when the client half-closes.
 *
 * <p>Every byte a client sends comes back to it. The server is one thread, one
 * {@link EventLoop}, raw non-blocking {@link Sockets}, and per connection one
 * fixed buffer of the bytes read but not yet echoed.
 *
 * <p>What the kernel does that surprises:
 * <ul>
 *   <li>Edge-triggered (EPOLLET, EV_CLEAR), a socket is reported when something
 *       <em>new</em> arrives, not while bytes stay unread. Stop reading before
 *       EAGAIN and, if the peer now waits for its reply, the socket is never
 *       reported again. The listening socket too: one edge may stand for many
 *       clients in its queue.</li>
 *   <li>A write may take fewer bytes than asked (a short write), or none
 *       (EAGAIN): the rest must wait for WRITE readiness.</li>
 *   <li>Level-triggered, a socket is reported on every wait while it is
 *       readable, or writable: interest in either, kept when there is nothing to
 *       do with it, makes the loop spin.</li>
 *   <li>{@code read} into zero bytes of room returns 0, which is also what EOF
 *       looks like.</li>
 *   <li>A client that shuts its side (a half-close, EOF for us) may still be
 *       reading its replies.</li>
 *   <li>Draining one busy socket to EAGAIN can take for ever while others wait
 *       (epoll(7), "starvation"); the remedy is a budget and a ready list.</li>
 *   <li>{@code epoll_ctl(MOD)} and kqueue's {@code EV_ADD} look at the socket
 *       as they register: interest turned on for a socket that is ready already
 *       is reported at the next wait, edge-triggered or not.</li>
 * </ul>
 *
 * <p>Try it: {@code java -cp exercises/target/classes:chapter05/target/classes
 * hpio.exercises.ex2.EchoServer 7007}, then {@code nc 127.0.0.1 7007}. Hints:
 * {@code make hint EX=2}. Check: {@code make exercise EX=2}.
 */
public final class EchoServer implements AutoCloseable {
    /** Bytes one connection may hold read but not yet echoed (its buffer's capacity), unless given. */
    public static final int BUFFER_SIZE = 64 * 1024;
    /** Reads one connection gets per turn of the loop before the others have theirs. */
    public static final int READ_BUDGET = 16;

    private final EventLoop loop;
    private final Sockets sockets;
    private final int listenFd;
    private final int port;
    private final int trigger;            // Events.EDGE, or 0 for level-triggered: part of every interest
    private final int bufferSize;
    private final PeerAddress peer = new PeerAddress();
    private Connection[] connections = new Connection[64];   // by fd
    private volatile boolean stopping;

    /** Connections that spent their read budget with bytes perhaps still waiting, oldest first. */
    private final ArrayDeque<Connection> ready = new ArrayDeque<>();
    /** Serves {@link #ready} once the loop has handled the current batch of events. */
    private final Timer serveReady = new Timer(this::serveReady);

    /** One client: its socket, and the bytes read from it that it has not yet been sent back. */
    static final class Connection {
        final int fd;
        /** Bytes read and not yet echoed are kept[start, end); the next read goes to kept[end, capacity). */
        final IoBuffer kept;
        int start;
        int end;
        /** The peer shut its sending side (read returned 0): nothing more will come. */
        boolean eof;
        /** What the loop watches this fd for now (READ, WRITE, and the trigger bit). */
        int interest;
        /** On the ready list. */
        boolean queued;
        boolean closed;

        Connection(int fd, int bufferSize) {
            this.fd = fd;
            this.kept = IoBuffer.allocate(bufferSize);
        }

        /** Bytes read and not yet echoed. */
        int pending() { return end - start; }

        /** Free bytes after the kept ones: where the next read may go. */
        int room() { return kept.capacity() - end; }
    }

    /**
     * Listens on {@code address} and registers the listening socket with {@code loop}.
     * Run the loop with {@link #run()}.
     *
     * @param edgeTriggered register every socket with {@link Events#EDGE} (needs epoll or kqueue)
     */
    public EchoServer(EventLoop loop, Sockets sockets, InetSocketAddress address, int bufferSize,
                      boolean edgeTriggered) throws IOException {
        if (edgeTriggered && !loop.supportsEdgeTriggered()) {
            throw new IllegalArgumentException("the " + loop.backendName() + " backend is level-triggered only");
        }
        this.loop = loop;
        this.sockets = sockets;
        this.bufferSize = bufferSize;
        this.trigger = edgeTriggered ? Events.EDGE : 0;
        this.listenFd = sockets.listen(address, 1024);
        this.port = sockets.localPort(listenFd);
        loop.add(listenFd, READ | trigger, (fd, events) -> {
            try {
                acceptAll();
            } catch (IOException e) {
                // Out of fds, say. The clients still queued are announced again by the next arrival.
                System.err.println("echo server: accept failed: " + e.getMessage());
            }
        });
    }

    public int port() { return port; }

    public EventLoop loop() { return loop; }

    /** Runs the loop until {@link #stop()}, then closes every connection and the listening socket. */
    public void run() throws IOException {
        try {
            while (!stopping) loop.runOnce(1000);
        } finally {
            for (Connection c : connections) if (c != null) close(c);
            loop.remove(listenFd);
            sockets.close(listenFd);
        }
    }

    /** Makes {@link #run()} return; any thread. */
    public void stop() {
        stopping = true;
        loop.wakeup();
    }

    @Override
    public void close() { stop(); }

    /** Registers a freshly accepted client, watched for READ. */
    private void open(int fd) throws IOException {
        if (fd >= connections.length) connections = Arrays.copyOf(connections, Math.max(fd + 1, 2 * connections.length));
        Connection c = new Connection(fd, bufferSize);
        connections[fd] = c;
        c.interest = READ | trigger;
        try {
            loop.add(fd, c.interest, (ready, events) -> handle(c, events));
        } catch (IOException e) {
            connections[fd] = null;
            sockets.close(fd);
            throw e;
        }
    }

    /** The loop's way in: a failing socket (reset by its peer, say) costs its own connection only. */
    private void handle(Connection c, int events) {
        if (c.closed) return;
        try {
            onEvent(c, events);
        } catch (IOException e) {
            close(c);
        }
    }

    private void close(Connection c) {
        if (c.closed) return;
        c.closed = true;                    // a stale entry on the ready list is skipped
        connections[c.fd] = null;
        try {
            if (loop.isRegistered(c.fd)) loop.remove(c.fd);
        } catch (IOException ignored) {
            // our table is consistent already; the kernel forgets the fd when it is closed
        }
        try {
            sockets.close(c.fd);
        } catch (IOException ignored) {
            // nothing more to do for this one
        }
    }

    // ------------------------------------------------------------ the student's part

    /** The listening socket is readable: one edge may stand for a whole queue of clients. */
    private void acceptAll() throws IOException {
        while (true) {
            int fd = sockets.accept(listenFd, peer);
            if (fd == Sockets.AGAIN) return;       // the queue is empty: the next client brings a new edge
            open(fd);
        }
    }

    /** The loop reported {@code events} for {@code c} (or the ready list serves it, as READ). */
    private void onEvent(Connection c, int events) throws IOException {
        boolean wasFull = c.room() == 0;
        if ((events & (WRITE | ERROR | HUP)) != 0) flush(c);
        // Read when told to, and also when a flush just made room in a full buffer:
        // the bytes waiting in the socket were announced once, before we paused.
        if ((events & (READ | ERROR | HUP)) != 0 || (wasFull && c.room() > 0)) drain(c);
        updateInterest(c);
    }

    /**
     * Reads until the socket is empty (EAGAIN), the peer has finished (EOF), the
     * buffer is full (back-pressure: the client must read its echo first), or the
     * budget for this turn is spent (then the ready list brings us back).
     */
    private void drain(Connection c) throws IOException {
        for (int reads = 0; reads < READ_BUDGET; reads++) {
            if (c.eof || c.room() == 0) return;
            int n = sockets.read(c.fd, c.kept, c.end, c.room());
            if (n == Sockets.AGAIN) return;        // drained: the next arrival is a new edge
            if (n == 0) {                          // MUTANT: EOF, so close, echoed or not
                c.eof = true;
                c.start = c.end = 0;
                return;
            }
            c.end += n;
            flush(c);                              // echo at once: frees room, and the client may be waiting
        }
        // Budget spent, and the socket may hold more that no edge will announce.
        if (!c.queued) {
            c.queued = true;
            ready.addLast(c);
        }
        if (!serveReady.isScheduled()) loop.schedule(serveReady, 0, TimeUnit.NANOSECONDS);
    }

    /** Writes kept bytes until none are left or the socket takes no more. */
    private void flush(Connection c) throws IOException {
        while (c.pending() > 0) {
            int n = sockets.write(c.fd, c.kept, c.start, c.pending());
            if (n == Sockets.AGAIN) return;        // full: the rest waits for WRITE
            c.start += n;
        }
        c.start = c.end = 0;                       // all echoed: the whole buffer is room again
    }

    /**
     * READ while there is room and more may come; WRITE only while bytes wait
     * (level-triggered, either one kept without cause wakes every wait). Closes
     * once the peer has finished and everything is echoed.
     */
    private void updateInterest(Connection c) throws IOException {
        if (c.eof && c.pending() == 0) {
            close(c);
            return;
        }
        int want = trigger;
        if (!c.eof && c.room() > 0) want |= READ;
        if (c.pending() > 0) want |= WRITE;
        if (want != c.interest) {
            // Turning READ back on re-arms it: data that arrived while we paused is reported at the next wait.
            loop.modify(c.fd, want);
            c.interest = want;
        }
    }

    /** After the batch: each connection cut short by its budget gets one more budget, in turn. */
    private void serveReady() {
        for (int n = ready.size(); n > 0; n--) {
            Connection c = ready.pollFirst();
            c.queued = false;
            handle(c, READ);                       // may queue it again, for the next turn
        }
    }

    // ------------------------------------------------------------ try it with nc

    /** {@code EchoServer [port] [backend]}: port 7007 and "auto" unless given. */
    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 7007;
        String backend = args.length > 1 ? args[1] : "auto";
        try (Transport t = Transport.open(backend, 256)) {
            boolean edge = t.loop().supportsEdgeTriggered();
            EchoServer server = new EchoServer(t.loop(), t.sockets(), new InetSocketAddress("127.0.0.1", port),
                    BUFFER_SIZE, edge);
            System.out.printf("echo server on 127.0.0.1:%d (%s, %s); try: nc 127.0.0.1 %d%n", server.port(),
                    t.loop().backendName(), edge ? "edge-triggered" : "level-triggered", server.port());
            server.run();
        }
    }
}
