package hpio.lb;

import static hpio.loop.Events.ERROR;
import static hpio.loop.Events.HUP;
import static hpio.loop.Events.READ;
import static hpio.loop.Events.WRITE;

import hpio.lb.hooks.FlowPort;
import hpio.lb.hooks.Pump;
import hpio.lb.hooks.ReadPolicy;
import hpio.lb.hooks.WriteQueue;
import hpio.loop.EventLoop;
import hpio.net.IoBuffer;
import hpio.net.Sockets;
import java.io.IOException;
import java.util.function.Function;

/**
 * Moves the bytes of open connections, both ways: read from one side, write to
 * the other, hand what the destination does not take to the flow's
 * {@link WriteQueue}, pass a FIN on once everything before it is delivered, and
 * keep each fd's interest to what its flows ask for.
 *
 * <pre>
 *  client fd ===== toBackend ===&gt; backend fd
 *  client fd &lt;==== toClient ==== backend fd
 * </pre>
 */
final class Forwarder {
    static final int BUFFER_SIZE = 64 * 1024;

    private final LoadBalancer lb;
    private final EventLoop loop;
    private final Sockets sockets;
    private final Stats stats;
    private final ReadPolicy readPolicy;
    private final int edge;                                  // 0, or Events.EDGE (exercise 3)
    private final Function<FlowPort, WriteQueue> newQueue;   // the baseline's spare buffers, or exercise 4's
    private final IoBuffer readBuffer = IoBuffer.allocate(BUFFER_SIZE);   // shared by every connection
    private final Splicer splicer;                           // null unless --splice

    Forwarder(LoadBalancer lb, EventLoop loop, Sockets sockets, Stats stats, Hooks hooks, Splicer splicer) {
        this.lb = lb;
        this.loop = loop;
        this.sockets = sockets;
        this.stats = stats;
        this.readPolicy = hooks.readPolicy();
        this.splicer = splicer;
        this.edge = readPolicy.registrationFlags();
        SpareBufferQueue.Spares spares = new SpareBufferQueue.Spares();
        this.newQueue = hooks.writeQueues() != null ? hooks.writeQueues() : port -> new SpareBufferQueue(port, spares);
    }

    /** The backend connect finished: watch both sides for bytes. */
    // snippet-start start-forwarding
    void start(Connection c) throws IOException {
        c.state = Connection.OPEN;
        loop.modify(c.backendFd, READ | edge);
        loop.add(c.clientFd, READ | edge, c);   // only now: until here there was nowhere to send its bytes
        lb.opened(c);
    }
    // snippet-end start-forwarding

    // snippet-start on-connection-event
    void onEvent(Connection c, int fd, int events) {
        try {
            forward(c, fd, events);
        } catch (IOException e) {
            lb.release(c);              // ECONNRESET, EPIPE, ...: close both and free everything
        }
    }

    private void forward(Connection c, int fd, int events) throws IOException {
        boolean fromClient = fd == c.clientFd;
        Flow in = fromClient ? c.toBackend : c.toClient;   // bytes read from fd
        Flow out = fromClient ? c.toClient : c.toBackend;  // bytes written to fd
        if ((events & ERROR) != 0) {
            // A reset may follow bytes still unread: read them (the read then
            // reports the error itself) rather than drop a reply's last part.
            if (!in.wantsRead()) {
                sourceFailed(in);
                return;
            }
            events |= READ;
        }
        if ((events & WRITE) != 0 && out.hasOutput()) flush(out);
        // HUP: the peer shut its sending side (FIN, epoll's RDHUP) or the socket is shut
        // both ways; bytes sent before it may still wait: read them, then EOF.
        if (c.state == Connection.OPEN && (events & (READ | HUP)) != 0 && in.wantsRead()) readPolicy.onReadable(in);
        settle(c);
    }

    /**
     * After anything that may have changed what a connection's flows want: release
     * it when both directions are done, else bring its interest up to date. Called
     * at the end of each event, and by a pump itself when it met EOF or a short
     * write: a read policy may pump from a timer (exercise 3), outside any event.
     */
    void settle(Connection c) throws IOException {
        if (c.state != Connection.OPEN) return;          // closed on the way (a pump met a socket error)
        if (c.toBackend.done && c.toClient.done) {
            lb.release(c);
        } else {
            updateInterest(c);
        }
    }
    // snippet-end on-connection-event

    /** One read from the flow's source, passed straight on to its destination ({@link Pump#pumpOnce()}). */
    // snippet-start pump-once
    int pumpOnce(Flow flow) {
        Connection c = flow.connection;
        if (c.state != Connection.OPEN) return Pump.CLOSED;
        if (flow.sourceEof) return Pump.EOF;
        if (flow.paused) return Pump.PAUSED;
        if (splicer != null) {
            int moved = splicer.pumpOnce(flow);       // --splice: no copy through user space
            if (moved != Splicer.COPY) return moved;
        }
        try {
            int n;
            try {
                n = sockets.read(flow.sourceFd(), readBuffer, 0, BUFFER_SIZE);
            } catch (IOException reset) {
                sourceFailed(flow);     // ECONNRESET: what the source sent before is still delivered
                return c.state == Connection.OPEN ? Pump.EOF : Pump.CLOSED;
            }
            if (n == Sockets.AGAIN) return Pump.AGAIN;
            if (n == 0) {
                flow.sourceEof = true;
                passOnEof(flow);
                settle(c);
                return Pump.EOF;
            }
            if (flow.fromClient) stats.bytesToBackends += n; else stats.bytesToClients += n;
            lb.traffic(c);
            // Never write past bytes already waiting: that would reorder the stream.
            int written;
            try {
                written = flow.hasOutput() ? 0 : sockets.write(flow.destinationFd(), readBuffer, 0, n);
            } catch (IOException reset) {
                destinationFailed(flow);    // EPIPE, ECONNRESET: as if its reset had been read
                return c.state == Connection.OPEN ? Pump.EOF : Pump.CLOSED;
            }
            if (written == Sockets.AGAIN) written = 0;
            if (written == n) return n;
            if (flow.queue == null) flow.queue = newQueue.apply(flow);
            flow.queue.hold(readBuffer, written, n - written);
            if (flow.queue.size() > stats.maxBuffered) stats.maxBuffered = flow.queue.size();
            settle(c);                  // the queue may have paused the source and asked for WRITE
            return flow.paused ? Pump.PAUSED : n;
        } catch (IOException e) {
            lb.release(c);              // ECONNRESET, EPIPE, ...: close both and free everything
            return Pump.CLOSED;
        } catch (RuntimeException e) {
            // An exercise's write queue that throws (an overflow, a stub): this
            // connection goes, whether the pump was called by the loop or by a timer.
            lb.hookFailed(c, e);
            return Pump.CLOSED;
        } catch (OutOfMemoryError e) {
            // Off-heap buffers are budgeted (-XX:MaxDirectMemorySize): when a short
            // write's leftover finds none left, this connection goes, not the balancer.
            lb.outOfBufferMemory(e);
            lb.release(c);
            return Pump.CLOSED;
        }
    }
    // snippet-end pump-once

    /** --splice's pipes and their pool; null without. */
    Splicer splicer() { return splicer; }

    /** A write queue writing to its destination ({@link FlowPort#write}). */
    int write(Flow flow, IoBuffer buffer, int offset, int length) throws IOException {
        int n = sockets.write(flow.destinationFd(), buffer, offset, length);
        if (n > 0) lb.traffic(flow.connection);
        return n;
    }

    /** The destination is writable: the queue writes what waits; the source is read again if it was un-paused. */
    // snippet-start flush
    private void flush(Flow flow) throws IOException {
        boolean wasPaused = flow.paused;
        try {
            if (flow.piped > 0) splicer.onWritable(flow); else flow.queue.onWritable();
        } catch (IOException reset) {
            destinationFailed(flow);            // EPIPE, ECONNRESET: as if its reset had been read
            return;
        }
        if (!flow.hasOutput()) passOnEof(flow);
        // Un-paused: read now, with what arrived while we were not reading, rather
        // than wait a turn. (Putting READ back with epoll_ctl or EV_ADD also makes the
        // kernel report data already waiting, edge-triggered or not: nothing is lost.)
        if (wasPaused && flow.wantsRead()) readPolicy.onReadable(flow);
    }
    // snippet-end flush

    /**
     * The flow's source failed (a reset): nothing more comes from it and nothing can
     * reach it. If the backend reset, the bytes it sent before, still waiting in the
     * flow's queue (or pipe), are the client's: the end of a reply. They are
     * delivered, then a FIN, then both sides close (as after an EOF). If the client
     * reset, nobody is left to hear a reply: both sides close now (delivering its
     * last bytes to a backend that answers, an echo say, would leave the backend
     * blocked writing an answer nobody reads). The failed fd leaves the loop at once:
     * epoll and poll would report its error on every turn until then.
     */
    void sourceFailed(Flow flow) throws IOException {
        Connection c = flow.connection;
        if (!flow.hasOutput() || flow.fromClient) {
            lb.release(c);
            return;
        }
        Flow back = flow.fromClient ? c.toClient : c.toBackend;
        int dead = flow.sourceFd();
        if (loop.isRegistered(dead)) loop.remove(dead);
        flow.sourceEof = true;
        back.sourceEof = back.done = true;
        back.paused = back.watchingWrite = false;
        if (back.queue != null) back.queue.clear();
        if (back.pipe != null) splicer.drop(back);      // --splice: bytes for the dead peer, closed with their pipe
        settle(c);
    }

    /**
     * Writing to the flow's destination failed: that peer reset (EPIPE, ECONNRESET).
     * It is the same event as a reset met while reading it, seen from the other
     * side, and ends the same way ({@link #sourceFailed}): a backend's bytes held
     * for the client are still delivered, a client's reset closes both sides.
     */
    void destinationFailed(Flow flow) throws IOException {
        Connection c = flow.connection;
        sourceFailed(flow.fromClient ? c.toClient : c.toBackend);
    }

    /** Half-close: once the source's EOF is reached and everything before it delivered, send FIN on. */
    void passOnEof(Flow flow) throws IOException {
        if (flow.sourceEof && !flow.hasOutput() && !flow.done) {
            flow.done = true;
            sockets.shutdownOutput(flow.destinationFd());
        }
    }

    /** READ while the flow out of an fd wants bytes; WRITE while its write queue asks for it. */
    // snippet-start update-interest
    private void updateInterest(Connection c) throws IOException {
        int client = (c.toBackend.wantsRead() ? READ : 0) | (c.toClient.watchingWrite ? WRITE : 0) | edge;
        int backend = (c.toClient.wantsRead() ? READ : 0) | (c.toBackend.watchingWrite ? WRITE : 0) | edge;
        if (loop.isRegistered(c.clientFd) && loop.interest(c.clientFd) != client) loop.modify(c.clientFd, client);
        if (loop.isRegistered(c.backendFd) && loop.interest(c.backendFd) != backend) loop.modify(c.backendFd, backend);
    }
    // snippet-end update-interest
}
