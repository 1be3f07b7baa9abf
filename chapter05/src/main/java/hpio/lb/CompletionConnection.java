package hpio.lb;

import java.lang.foreign.MemorySegment;

/**
 * One proxied client on the completion path: its two fds and the two directions
 * between them, each with the buffers the kernel fills (RECV) and empties (SEND).
 * Made once per slot by {@link CompletionSlots} and reused; nothing here is
 * allocated per connection or per operation.
 *
 * <p>An operation's code says which direction and what: the CQE's user_data
 * carries it ({@link hpio.proactor.CompletionLoop}), so a completion finds its
 * way back without a lookup.
 */
final class CompletionConnection {
    static final int OP_ACCEPT = 1;          // the listener's (slot 0)
    static final int OP_CONNECT = 2;
    static final int OP_CONNECT_TIMEOUT = 3; // the connect's linked timeout
    static final int OP_RECV_CLIENT = 4;     // up: client -> backend
    static final int OP_SEND_BACKEND = 5;
    static final int OP_RECV_BACKEND = 6;    // down: backend -> client
    static final int OP_SEND_CLIENT = 7;
    static final int OP_CANCEL = 8;

    static final int FREE = 0;
    static final int CONNECTING = 1;         // accepted, the backend's connect in flight
    static final int OPEN = 2;               // both connected, bytes flowing
    static final int CLOSING = 3;            // being closed: waiting for the CQEs of what is in flight

    /**
     * Bytes received and not yet all sent: a buffer of the shared pool the kernel
     * picked for the RECV ({@link #pooled}), or the direction's own buffer.
     */
    static final class Chunk {
        int pooled = -1;                     // id of the pool's buffer, or -1: the direction's own buffer
        long address;
        int offset;                          // [offset, length): not yet sent
        int length;                          // 0: empty

        boolean isEmpty() { return length == 0; }

        void fill(int pooled, long address, int length) {
            this.pooled = pooled;
            this.address = address;
            this.offset = 0;
            this.length = length;
        }

        void clear() {
            pooled = -1;
            offset = length = 0;
        }
    }

    /**
     * One direction: RECVs from its source, SENDs of exactly those bytes to its
     * destination, the next RECV in flight while the previous bytes are sent.
     *
     * <p>At most ONE SEND in flight: two SENDs on a stream socket, both in
     * flight, could interleave: should the first be short (the window had room
     * for part of it), the second's bytes would be in the stream before the
     * first's rest. So {@link #sending} goes first, all of it, short sends
     * included; only then {@link #pending}, the one chunk received meanwhile.
     * While a chunk is pending no RECV is submitted: a destination that does not
     * read stops its source being read (backpressure), with at most two buffers
     * per direction held.
     */
    static final class Direction {
        final boolean fromClient;
        final int recvOp;
        final int sendOp;
        MemorySegment own;                   // the slot's own buffer, or null; kept for the slot's life
        final Chunk sending = new Chunk();   // the bytes of the SEND in flight; empty if none
        final Chunk pending = new Chunk();   // received while a SEND was in flight: the next to go
        boolean receiving;                   // a RECV in flight
        int lentAtRecv;                      // buffers the pool had lent when that RECV went out
        boolean sendInFlight;                // a SEND of sending in flight
        boolean ended;                       // no more RECVs: its source ended or failed
        boolean done;                        // nothing more to do: FIN passed on, or its peer is gone

        Direction(boolean fromClient, MemorySegment own) {
            this.fromClient = fromClient;
            this.recvOp = fromClient ? OP_RECV_CLIENT : OP_RECV_BACKEND;
            this.sendOp = fromClient ? OP_SEND_BACKEND : OP_SEND_CLIENT;
            this.own = own;
        }

        /** Whether the own buffer holds bytes not yet sent (a RECV into it must wait). */
        boolean ownHeld() {
            return (!sending.isEmpty() && sending.pooled < 0) || (!pending.isEmpty() && pending.pooled < 0);
        }

        void reset() {
            sending.clear();
            pending.clear();
            receiving = sendInFlight = ended = done = false;
        }
    }

    final int slot;
    final Direction up;                      // read from the client, sent to the backend
    final Direction down;                    // read from the backend, sent to the client
    CompletionConnection nextFree;

    int state = FREE;
    int clientFd = -1;
    int backendFd = -1;
    int clientIpv4;
    int upstream = -1;
    long triedUpstreams;                     // bit i: upstream i was tried for this client
    boolean connecting;                      // a CONNECT in flight (its timeout may still be)

    CompletionConnection(int slot, MemorySegment upBuffer, MemorySegment downBuffer) {
        this.slot = slot;
        this.up = new Direction(true, upBuffer);
        this.down = new Direction(false, downBuffer);
    }

    int sourceFd(Direction d) { return d.fromClient ? clientFd : backendFd; }

    int destinationFd(Direction d) { return d.fromClient ? backendFd : clientFd; }

    void reset() {
        state = FREE;
        clientFd = backendFd = -1;
        upstream = -1;
        triedUpstreams = 0;
        connecting = false;
        up.reset();
        down.reset();
    }
}
