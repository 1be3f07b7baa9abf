package hpio.lb;

import static hpio.nativeio.LinuxIoUring.IORING_CQE_BUFFER_SHIFT;
import static hpio.nativeio.LinuxIoUring.IORING_CQE_F_BUFFER;

import hpio.lb.CompletionConnection.Chunk;
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
 * The bytes of an open connection, both ways, as chains of operations. Each
 * direction receives the next chunk while the previous one is being sent: a
 * RECV's bytes are sent at once and the next RECV submitted with them; bytes
 * that arrive while a SEND is still in flight wait as the one pending chunk,
 * and no RECV is submitted until that SEND has completed. So a direction has in
 * flight a RECV, or a SEND, or both, and holds at most two buffers.
 *
 * <pre>
 *   RECV --n bytes in b--&gt; SEND(b, n) + RECV
 *                           RECV --m bytes in c--&gt; c pending (no RECV)
 *   SEND(b) done (k &lt; n: the rest of b first, still one SEND) --&gt; b back --&gt; SEND(c, m) + RECV ...
 *   RECV res 0 (EOF): once nothing is pending nor in flight, shutdown(SHUT_WR) of the destination
 * </pre>
 *
 * <p>One SEND at a time per direction, the pending chunk only after the last
 * byte of the one in flight: bytes are never reordered
 * ({@link CompletionConnection.Direction} says why two SENDs could). A
 * destination that does not read leaves its source unread (at most one chunk
 * behind the SEND), so the kernel's windows push back on the sender.
 *
 * <p>A buffer is one of the shared pool's ({@link IoUringBufRing}), picked by
 * the kernel when bytes arrive, so a connection waiting for bytes holds none. It
 * goes back to the pool when the last SEND of its bytes has completed (or at
 * close, after the last CQE). The pool lends the kernel a few buffers at
 * first and more each time it finds none (-ENOBUFS), so the memory touched
 * follows the most bytes in flight at once; with all of its buffers out, that
 * slot gets buffers of its own and keeps them: no connection waits on others
 * for memory. Without a pool (before Linux 5.19) every slot has its own. A
 * direction has one buffer of its own, not two: it receives into it only when
 * it holds no bytes, one operation at a time as before the overlap (a fallback;
 * twice the memory per slot is not worth its speed).
 *
 * <p>Failures end as on the reactor's path ({@link Forwarder#sourceFailed}): the
 * backend's reset (met receiving from it or sending to it) still delivers what it
 * had sent, the SEND in flight and the pending chunk, then a FIN to the client;
 * the client's reset closes both sides.
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
        advance(c, c.up);
        advance(c, c.down);
    }

    /**
     * Starts what {@code d} can start now, in this order: the SEND of the rest of
     * the chunk being sent, else of the pending one; a RECV if nothing is
     * pending (and, with its own buffer, that buffer is free); the FIN once its
     * source has ended and every byte before it has been sent.
     */
    private void advance(CompletionConnection c, Direction d) throws IOException {
        if (!d.sendInFlight) {
            if (d.sending.isEmpty() && !d.pending.isEmpty()) {
                Chunk p = d.pending;
                d.sending.fill(p.pooled, p.address, p.length);
                p.clear();
            }
            if (!d.sending.isEmpty()) send(c, d);
        }
        if (!d.receiving && !d.ended && d.pending.isEmpty() && (d.own == null || !d.ownHeld())) recv(c, d);
        if (d.ended && !d.receiving && !d.sendInFlight && d.sending.isEmpty() && d.pending.isEmpty()) finish(c, d);
    }

    private void recv(CompletionConnection c, Direction d) throws IOException {
        d.receiving = true;
        if (d.own != null) {
            loop.recv(c.slot, d.recvOp, c.sourceFd(d), d.own.address(), bufferSize);
        } else {
            d.lentAtRecv = pool.lent();
            loop.recv(c.slot, d.recvOp, c.sourceFd(d), bufferSize, pool);
        }
    }

    private void send(CompletionConnection c, Direction d) throws IOException {
        d.sendInFlight = true;
        Chunk s = d.sending;
        loop.send(c.slot, d.sendOp, c.destinationFd(d), s.address + s.offset, s.length - s.offset);
    }

    /** A RECV of {@code d} completed. */
    void received(CompletionConnection c, Direction d, int res, int cqeFlags) throws IOException {
        d.receiving = false;
        int pooled = -1;
        if ((cqeFlags & IORING_CQE_F_BUFFER) != 0) {
            pooled = cqeFlags >>> IORING_CQE_BUFFER_SHIFT;       // ours until we give it back
            pooledHeld++;                                         // one writer, the loop's thread
        }
        if (res > 0) {
            // A RECV is submitted only with nothing pending: the bytes go to the SEND if
            // none is out, else they wait behind it. Closing: held till the last CQE.
            Chunk into = d.sending.isEmpty() ? d.sending : d.pending;
            into.fill(pooled, pooled >= 0 ? pool.address(pooled) : d.own.address(), res);
        } else {
            giveBack(pooled);                                     // no bytes in it
        }
        if (c.state != CompletionConnection.OPEN || d.done) return;
        if (res > 0) {
            if (d.fromClient) stats.bytesToBackends += res; else stats.bytesToClients += res;
            if (!d.pending.isEmpty()) held(d);
            advance(c, d);
        } else if (res == -LinuxIoUring.ENOBUFS && !d.ended) {
            // The kernel had no buffer left to lend: lend it more, or, with all of the
            // pool out, give this slot buffers of its own (it waits on nobody for memory).
            // Not if it was lent more since this RECV went out: dozens of RECVs (one
            // each way per connection, beside the SENDs) can find it empty at once,
            // and growing for each would lend all of it, and then make buffers of
            // their own, for one moment's shortage. Those retry.
            if (pool.lent() == d.lentAtRecv && !pool.grow(POOL_STEP)) ownBuffers(c);
            advance(c, d);
        } else if (res == 0 || d.ended) {
            d.ended = true;                      // EOF, or the end of a source we stopped reading:
            advance(c, d);                       // the FIN once the bytes before it are sent
        } else if (d.fromClient) {
            lb.abort(c);                         // the client reset: nobody is left to hear a reply
        } else {
            backendFailed(c);                    // the backend reset: what it sent is still delivered
        }
    }

    /** A SEND of {@code d} completed. */
    void sent(CompletionConnection c, Direction d, int res) throws IOException {
        d.sendInFlight = false;
        if (c.state != CompletionConnection.OPEN || d.done) return;
        if (res < 0) {
            if (d.fromClient) backendFailed(c); else lb.abort(c);   // EPIPE, ECONNRESET
            return;
        }
        Chunk s = d.sending;
        s.offset += res;
        if (s.offset < s.length) {
            // A short send: the kernel took what the destination's window had room
            // for. The rest goes next (advance), before any pending chunk.
            held(d);
        } else {
            giveBack(s.pooled);                  // every byte of it sent: the pool's again
            s.clear();
        }
        advance(c, d);
    }

    /** Bytes received and not yet sent: the most of them, for the status (and the tests). */
    private void held(Direction d) {
        int held = d.sending.length - d.sending.offset + d.pending.length;
        if (held > stats.maxBuffered) stats.maxBuffered = held;
    }

    private void giveBack(int pooled) {
        if (pooled < 0) return;
        pool.giveBack(pooled);
        pooledHeld--;
    }

    /** Buffers of the shared pool held now (0 once every connection is closed). */
    int pooledHeld() { return pooledHeld; }

    /** Gives back what {@code c} holds of the pool: only once none of its operations is in flight. */
    void released(CompletionConnection c) {
        released(c.up);
        released(c.down);
    }

    private void released(Direction d) {
        giveBack(d.sending.pooled);
        giveBack(d.pending.pooled);
        d.sending.clear();
        d.pending.clear();
    }

    private void ownBuffers(CompletionConnection c) throws IOException {
        if (c.up.own == null) c.up.own = slots.buffer();
        if (c.down.own == null) c.down.own = slots.buffer();
        // This connection goes (the loop's handler failure path), not the balancer.
        if (c.up.own == null || c.down.own == null) throw new IOException("no memory left for a connection's buffers");
    }

    /**
     * The backend failed (reset, refused a write): nothing more goes to it or
     * comes from it. What it sent is still delivered: a SEND to the client in
     * flight completes, then the pending chunk goes, then the FIN. A RECV from it
     * is cancelled; if it had bytes after all (the CQE raced the cancel) they
     * are sent first.
     */
    void backendFailed(CompletionConnection c) throws IOException {
        Direction up = c.up, down = c.down;
        up.ended = up.done = true;
        cancel(c, up);
        down.ended = true;
        if (down.receiving) loop.cancel(c.slot, down.recvOp, CompletionConnection.OP_CANCEL);
        advance(c, down);                        // the FIN now, if nothing of it is left to send
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
        cancel(c, c.up);
        cancel(c, c.down);
        if (c.connecting) loop.cancel(c.slot, CompletionConnection.OP_CONNECT, CompletionConnection.OP_CANCEL);
    }

    /** Up to two of a direction: its RECV and its SEND. */
    private void cancel(CompletionConnection c, Direction d) throws IOException {
        if (d.receiving) loop.cancel(c.slot, d.recvOp, CompletionConnection.OP_CANCEL);
        if (d.sendInFlight) loop.cancel(c.slot, d.sendOp, CompletionConnection.OP_CANCEL);
    }
}
