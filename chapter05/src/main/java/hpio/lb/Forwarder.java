package hpio.lb;

import static hpio.loop.Events.ERROR;
import static hpio.loop.Events.HUP;
import static hpio.loop.Events.READ;
import static hpio.loop.Events.WRITE;

import hpio.lb.hooks.OutboundBuffer;
import hpio.lb.hooks.Pump;
import hpio.lb.hooks.ReadPolicy;
import hpio.loop.EventLoop;
import hpio.net.IoBuffer;
import hpio.net.Sockets;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * Moves the bytes of open connections, both ways: read from one side, write to
 * the other, hold back what the destination does not take (and stop reading the
 * source meanwhile), pass a FIN on once everything before it is delivered, and
 * keep each fd's interest to what it needs.
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
    private final int edge;                              // 0, or Events.EDGE (exercise 1)
    private final Supplier<OutboundBuffer> writeBuffers; // null: the baseline's spare buffers (exercise 2)
    private final IdleSweep idle;                        // null: connections never time out (exercise 3)
    private final IoBuffer readBuffer = IoBuffer.allocate(BUFFER_SIZE);   // shared by every connection
    private final ArrayDeque<IoBuffer> spareBuffers = new ArrayDeque<>();

    Forwarder(LoadBalancer lb, EventLoop loop, Sockets sockets, Stats stats, Hooks hooks, IdleSweep idle) {
        this.lb = lb;
        this.loop = loop;
        this.sockets = sockets;
        this.stats = stats;
        this.readPolicy = hooks.readPolicy();
        this.edge = readPolicy.registrationFlags();
        this.writeBuffers = hooks.writeBuffers();
        this.idle = idle;
    }

    /** The backend connect finished: watch both sides for bytes. */
    // snippet-start start-forwarding
    void start(Connection c) throws IOException {
        c.state = Connection.OPEN;
        loop.modify(c.backendFd, READ | edge);
        loop.add(c.clientFd, READ | edge, c);   // only now: until here there was nowhere to send its bytes
        if (idle != null) idle.touch(c);
    }
    // snippet-end start-forwarding

    // snippet-start on-connection-event
    void onEvent(Connection c, int fd, int events) throws IOException {
        try {
            boolean fromClient = fd == c.clientFd;
            Flow in = fromClient ? c.toBackend : c.toClient;   // bytes read from fd
            Flow out = fromClient ? c.toClient : c.toBackend;  // bytes written to fd
            if ((events & ERROR) != 0) {
                // A reset may follow bytes still unread: read them (the read then
                // reports the error itself) rather than drop a reply's last part.
                if (!in.wantsRead()) {
                    lb.release(c);
                    return;
                }
                events |= READ;
            }
            if (idle != null) idle.touch(c);
            if ((events & WRITE) != 0 && out.hasOutput()) flush(out);
            // HUP: the peer shut its sending side (FIN, epoll's RDHUP) or the socket is shut
            // both ways; bytes sent before it may still wait: read them, then EOF.
            if ((events & (READ | HUP)) != 0 && in.wantsRead()) readPolicy.onReadable(in);
            if (c.toBackend.done && c.toClient.done) {
                lb.release(c);
            } else {
                updateInterest(c);
            }
        } catch (IOException e) {
            lb.release(c);       // ECONNRESET, EPIPE, ...: close both and free everything
        } catch (OutOfMemoryError e) {
            // Off-heap buffers are budgeted (-XX:MaxDirectMemorySize): when a short
            // write's leftover finds none left, this connection goes, not the balancer.
            lb.outOfBufferMemory(e);
            lb.release(c);
        }
    }
    // snippet-end on-connection-event

    /** One read from the flow's source, passed straight on to its destination ({@link Pump#pumpOnce()}). */
    // snippet-start pump-once
    int pumpOnce(Flow flow) throws IOException {
        if (flow.sourceEof) return Pump.EOF;
        if (flow.paused) return Pump.PAUSED;
        int n = sockets.read(flow.sourceFd(), readBuffer, 0, BUFFER_SIZE);
        if (n == Sockets.AGAIN) return Pump.AGAIN;
        if (n == 0) {
            flow.sourceEof = true;
            passOnEof(flow);
            return Pump.EOF;
        }
        if (flow.fromClient) stats.bytesToBackends += n; else stats.bytesToClients += n;
        int dst = flow.destinationFd();
        // Never write past bytes already waiting: that would reorder the stream.
        int written = flow.hasOutput() ? 0 : sockets.write(dst, readBuffer, 0, n);
        if (written == Sockets.AGAIN) written = 0;
        if (written == n) return n;
        if (writeBuffers != null) {
            OutboundBuffer b = flow.buffer;
            if (b == null) b = flow.buffer = writeBuffers.get();
            b.append(readBuffer, written, n - written);
            if (b.size() > stats.maxBuffered) stats.maxBuffered = b.size();
            if (b.aboveHighWatermark()) flow.paused = true;
        } else {
            // Short write: the shared buffer is about to be reused, so the rest moves
            // to a spare buffer; reads from the source pause until the destination
            // takes it (WRITE).
            IoBuffer spare = takeSpare();
            readBuffer.copyTo(written, spare, 0, n - written);
            flow.pending = spare;
            flow.pendingOffset = 0;
            flow.pendingLength = n - written;
            flow.paused = true;
        }
        return flow.paused ? Pump.PAUSED : n;
    }
    // snippet-end pump-once

    /** The destination is writable: send what waits; un-pause the source when there is room again. */
    // snippet-start flush
    private void flush(Flow flow) throws IOException {
        int dst = flow.destinationFd();
        boolean wasPaused = flow.paused;
        if (flow.buffer != null && flow.buffer.size() > 0) {
            flow.buffer.writeTo(sockets, dst);
            if (flow.buffer.atOrBelowLowWatermark()) flow.paused = false;
        } else if (flow.pendingLength > 0) {
            int written = sockets.write(dst, flow.pending, flow.pendingOffset, flow.pendingLength);
            if (written == Sockets.AGAIN) return;
            flow.pendingOffset += written;
            flow.pendingLength -= written;
            if (flow.pendingLength == 0) {
                giveBackSpare(flow.pending);
                flow.pending = null;
                flow.paused = false;
            }
        }
        if (!flow.hasOutput()) passOnEof(flow);
        // Un-paused: read now, with what arrived while we were not reading, rather
        // than wait a turn. (Putting READ back with epoll_ctl or EV_ADD also makes the
        // kernel report data already waiting, edge-triggered or not: nothing is lost.)
        if (wasPaused && flow.wantsRead()) readPolicy.onReadable(flow);
    }
    // snippet-end flush

    /** Half-close: once the source's EOF is reached and everything before it delivered, send FIN on. */
    private void passOnEof(Flow flow) throws IOException {
        if (flow.sourceEof && !flow.hasOutput() && !flow.done) {
            flow.done = true;
            sockets.shutdownOutput(flow.destinationFd());
        }
    }

    /** READ while the flow out of an fd wants bytes; WRITE while bytes wait to go into it. */
    // snippet-start update-interest
    private void updateInterest(Connection c) throws IOException {
        int client = (c.toBackend.wantsRead() ? READ : 0) | (c.toClient.hasOutput() ? WRITE : 0) | edge;
        int backend = (c.toClient.wantsRead() ? READ : 0) | (c.toBackend.hasOutput() ? WRITE : 0) | edge;
        if (loop.interest(c.clientFd) != client) loop.modify(c.clientFd, client);
        if (loop.interest(c.backendFd) != backend) loop.modify(c.backendFd, backend);
    }
    // snippet-end update-interest

    /**
     * A buffer for a short write's leftover. Every spare ever made is kept for
     * reuse: their number is the peak of flows paused at once, and native memory
     * dropped to the GC would only come back whenever a collection happens to run.
     */
    private IoBuffer takeSpare() {
        IoBuffer b = spareBuffers.pollFirst();
        return b != null ? b : IoBuffer.allocate(BUFFER_SIZE);
    }

    private void giveBackSpare(IoBuffer b) {
        spareBuffers.addFirst(b);
    }

    /** The connection is closing: its leftovers' buffers go back for reuse. */
    void releaseBuffers(Connection c) {
        if (c.toBackend.pending != null) giveBackSpare(c.toBackend.pending);
        if (c.toClient.pending != null) giveBackSpare(c.toClient.pending);
    }
}
