package hpio.lb;

import java.lang.foreign.MemorySegment;

/**
 * One proxied client on the completion path: its two fds and the two directions
 * between them, each with the buffer the kernel fills (RECV) and empties (SEND).
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
     * One direction: a RECV from its source, then SENDs of exactly those bytes to
     * its destination, then the next RECV. At most one operation of a direction is
     * in flight, so bytes cannot be reordered and a destination that does not read
     * stops its source being read (backpressure). The bytes are in a buffer of the
     * shared pool the kernel picked for the RECV ({@link #pooled}, from its CQE to
     * the end of the last SEND of them), or in a buffer of the slot's own
     * ({@link #own}: where the kernel has no provided buffers, or once the pool ran
     * dry for this slot).
     */
    static final class Direction {
        final boolean fromClient;
        final int recvOp;
        final int sendOp;
        MemorySegment own;                   // the slot's own buffer, or null; kept for the slot's life
        int pooled = -1;                     // id of the pool's buffer holding the bytes, or -1
        long address;                        // where the bytes are: in own, or in the pooled buffer
        int op;                              // the operation in flight, 0 if none
        int offset;                          // [offset, length): received, not yet sent
        int length;
        boolean ended;                       // no more RECVs: its source ended or failed
        boolean done;                        // nothing more to do: FIN passed on, or its peer is gone

        Direction(boolean fromClient, MemorySegment own) {
            this.fromClient = fromClient;
            this.recvOp = fromClient ? OP_RECV_CLIENT : OP_RECV_BACKEND;
            this.sendOp = fromClient ? OP_SEND_BACKEND : OP_SEND_CLIENT;
            this.own = own;
        }

        void reset() {
            op = offset = length = 0;
            ended = done = false;
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
