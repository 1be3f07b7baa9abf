package hpio.lb;

import static hpio.nativeio.LinuxIoUring.IORING_CQE_BUFFER_SHIFT;
import static hpio.nativeio.LinuxIoUring.IORING_CQE_F_BUFFER;

import hpio.lb.CompletionConnection.Direction;
import hpio.nativeio.Errno;
import hpio.nativeio.IoUringBufRing;
import hpio.nativeio.LinuxIoUring;
import hpio.nativeio.Posix;
import hpio.proactor.CompletionLoop;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The bytes of an open connection, both ways, as chains of operations: a RECV;
 * on its CQE a SEND of exactly those bytes (the rest again after a short send);
 * only then the next RECV. One operation per direction at a time: nothing is
 * reordered, and a destination that does not read leaves its source unread, so
 * the kernel's windows push back on the sender.
 *
 * <pre>
 *   RECV(client) --n bytes in buffer b--&gt; SEND(backend, b, n) --&gt; b back --&gt; RECV(client) ...
 *   RECV(backend) --m bytes in buffer b'--&gt; SEND(client, b', m) --&gt; b' back --&gt; RECV(backend) ...
 *   res 0 (EOF): shutdown(SHUT_WR) of the destination, the direction is done
 * </pre>
 *
 * <p>The buffer is one of the shared pool's ({@link IoUringBufRing}), picked by
 * the kernel when bytes arrive, so a connection waiting for bytes holds none. It
 * goes back to the pool when the last SEND of its bytes has completed (or at
 * close, after the last CQE). The pool lends the kernel a few buffers at
 * first and more each time it finds none (-ENOBUFS), so the memory touched
 * follows the most bytes in flight at once; with all of its buffers out, that
 * slot gets buffers of its own and keeps them: no connection waits on others
 * for memory. Without a pool (before Linux 5.19) every slot has its own.
 *
 * <p>Failures end as on the reactor's path ({@link Forwarder#sourceFailed}): the
 * backend's reset (met receiving from it or sending to it) still delivers what it
 * had sent, then a FIN to the client; the client's reset closes both sides.
 */
final class CompletionFlows {
    /** Buffers the shared pool lends the kernel at first, and adds each time it runs dry. */
    static final int POOL_STEP = 16;

    private final CompletionBalancer lb;
    private final CompletionLoop loop;
    private final Stats stats;
    private final IoUringBufRing pool;           // null: each slot has buffers of its own
    private final CompletionSlots slots;
    private final int bufferSize;
    private final MemorySegment cs = Posix.newCallState(Arena.ofAuto());
    private volatile int pooledHeld;             // pool buffers we hold (between their RECV's CQE and give-back)

    CompletionFlows(CompletionBalancer lb, CompletionLoop loop, Stats stats, IoUringBufRing pool,
                    CompletionSlots slots, int bufferSize) {
        this.lb = lb;
        this.loop = loop;
        this.stats = stats;
        this.pool = pool;
        this.slots = slots;
        this.bufferSize = bufferSize;
    }

    /** Both sides connected: a RECV on each. */
    void start(CompletionConnection c) throws IOException {
        c.state = CompletionConnection.OPEN;
        recv(c, c.up);
        recv(c, c.down);
    }

    private void recv(CompletionConnection c, Direction d) throws IOException {
        d.op = d.recvOp;
        if (d.own != null) loop.recv(c.slot, d.recvOp, c.sourceFd(d), d.own.address(), bufferSize);
        else loop.recv(c.slot, d.recvOp, c.sourceFd(d), bufferSize, pool);
    }

    private void send(CompletionConnection c, Direction d) throws IOException {
        d.op = d.sendOp;
        loop.send(c.slot, d.sendOp, c.destinationFd(d), d.address + d.offset, d.length - d.offset);
    }

    /** A RECV of {@code d} completed. */
    void received(CompletionConnection c, Direction d, int res, int cqeFlags) throws IOException {
        d.op = 0;
        if ((cqeFlags & IORING_CQE_F_BUFFER) != 0) {
            d.pooled = cqeFlags >>> IORING_CQE_BUFFER_SHIFT;     // ours until we give it back
            pooledHeld++;                                         // one writer, the loop's thread
            d.address = pool.address(d.pooled);
        } else if (d.own != null) {
            d.address = d.own.address();
        }
        if (c.state != CompletionConnection.OPEN || d.done) return;   // closing: released after the last CQE
        if (res > 0) {
            if (d.fromClient) stats.bytesToBackends += res; else stats.bytesToClients += res;
            d.offset = 0;
            d.length = res;
            send(c, d);                          // the buffer is the kernel's again until this CQE
            return;
        }
        giveBack(d);
        if (res == -LinuxIoUring.ENOBUFS && !d.ended) {
            // The kernel had no buffer left to lend: lend it more, or, with all of the
            // pool out, give this slot buffers of its own (it waits on nobody for memory).
            if (!pool.grow(POOL_STEP)) ownBuffers(c);
            recv(c, d);
        } else if (res == 0 || d.ended) {
            finish(c, d);                        // EOF, or the end of a source we stopped reading
        } else if (d.fromClient) {
            lb.abort(c);                         // the client reset: nobody is left to hear a reply
        } else {
            backendFailed(c);                    // the backend reset: what it sent is delivered already
        }
    }

    /** A SEND of {@code d} completed. */
    void sent(CompletionConnection c, Direction d, int res) throws IOException {
        d.op = 0;
        if (c.state != CompletionConnection.OPEN || d.done) return;
        if (res < 0) {
            if (d.fromClient) backendFailed(c); else lb.abort(c);   // EPIPE, ECONNRESET
            return;
        }
        d.offset += res;
        if (d.offset < d.length) {
            // A short send: the kernel took what the destination's window had room
            // for. The rest goes now; the source is not read until it has gone.
            int held = d.length - d.offset;
            if (held > stats.maxBuffered) stats.maxBuffered = held;
            send(c, d);
            return;
        }
        giveBack(d);                             // every byte of it sent: the pool's again
        if (d.ended) finish(c, d); else recv(c, d);
    }

    private void giveBack(Direction d) {
        if (d.pooled < 0) return;
        pool.giveBack(d.pooled);
        d.pooled = -1;
        pooledHeld--;
    }

    /** Buffers of the shared pool held now (0 once every connection is closed). */
    int pooledHeld() { return pooledHeld; }

    /** Gives back what {@code c} holds of the pool: only once none of its operations is in flight. */
    void released(CompletionConnection c) {
        giveBack(c.up);
        giveBack(c.down);
    }

    private void ownBuffers(CompletionConnection c) throws IOException {
        if (c.up.own == null) c.up.own = slots.buffer();
        if (c.down.own == null) c.down.own = slots.buffer();
        // This connection goes (the loop's handler failure path), not the balancer.
        if (c.up.own == null || c.down.own == null) throw new IOException("no memory left for a connection's buffers");
    }

    /**
     * The backend failed (reset, refused a write): nothing more goes to it or
     * comes from it. A SEND to the client still in flight carries the end of its
     * reply: it completes, then the FIN. A RECV from it is cancelled; if it had
     * bytes after all (the CQE raced the cancel) they are sent first.
     */
    void backendFailed(CompletionConnection c) throws IOException {
        Direction up = c.up, down = c.down;
        up.ended = up.done = true;
        if (up.op != 0) loop.cancel(c.slot, up.op, CompletionConnection.OP_CANCEL);
        down.ended = true;
        if (down.op == down.recvOp) loop.cancel(c.slot, down.op, CompletionConnection.OP_CANCEL);
        else if (down.op == 0) finish(c, down);
    }

    /** Everything the source of {@code d} sent is delivered: pass its FIN on. */
    private void finish(CompletionConnection c, Direction d) {
        d.ended = d.done = true;
        // A destination already reset refuses with ENOTCONN: nothing to tell it.
        if (Posix.shutdown(cs, c.destinationFd(d), Posix.SHUT_WR) < 0) {
            int errno = Posix.errno(cs);
            if (errno != Errno.ENOTCONN && errno != Errno.ECONNRESET && errno != Errno.EPIPE) {
                lb.closeFailed("shutdown(fd=" + c.destinationFd(d) + ", SHUT_WR)", errno);
            }
        }
    }

    /** Cancels whatever of {@code c} is in flight (it is closing); the CQEs still arrive. */
    void cancelAll(CompletionConnection c) throws IOException {
        if (c.up.op != 0) loop.cancel(c.slot, c.up.op, CompletionConnection.OP_CANCEL);
        if (c.down.op != 0) loop.cancel(c.slot, c.down.op, CompletionConnection.OP_CANCEL);
        if (c.connecting) loop.cancel(c.slot, CompletionConnection.OP_CONNECT, CompletionConnection.OP_CANCEL);
    }
}
