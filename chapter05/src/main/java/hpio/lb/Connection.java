package hpio.lb;

import hpio.loop.IoHandler;
import hpio.net.IoBuffer;
import java.io.IOException;

/**
 * One proxied client: its fd, its backend's fd and the two byte flows between
 * them. Made once, at start, by the {@link ConnectionPool}; reset and reused. It is
 * its own event handler for both fds (the C version's callback plus user_data).
 */
final class Connection implements IoHandler {
    static final int FREE = 0;
    static final int CONNECTING = 1;   // client accepted, backend connect in progress
    static final int OPEN = 2;         // both sockets connected, bytes flowing

    final int id;
    private final LoadBalancer owner;
    Connection nextFree;               // free-list link, while in the pool

    int state = FREE;
    int clientFd = -1;
    int backendFd = -1;
    int clientIpv4;
    int upstream = -1;
    long triedUpstreams;               // bit i: upstream i was tried for this client
    long connectDeadlineNanos;
    Connection prevConnecting;         // the list of connects in progress, oldest first
    Connection nextConnecting;

    final Flow toBackend = new Flow();  // read from the client, written to the backend
    final Flow toClient = new Flow();   // read from the backend, written to the client

    Connection(int id, LoadBalancer owner) {
        this.id = id;
        this.owner = owner;
    }

    @Override
    public void onEvent(int fd, int events) throws IOException {
        owner.onConnectionEvent(this, fd, events);
    }

    void reset() {
        state = FREE;
        clientFd = backendFd = -1;
        upstream = -1;
        triedUpstreams = 0;
        prevConnecting = nextConnecting = null;
        toBackend.reset();
        toClient.reset();
    }

    /**
     * Bytes going one way. Normally nothing is held: what is read is written at
     * once from the loop's shared buffer. Only a short write leaves bytes behind;
     * they move to a spare buffer until the destination drains them, and reading
     * from the source pauses meanwhile, so memory per connection stays bounded.
     */
    static final class Flow {
        IoBuffer pending;              // null unless a short write left bytes behind
        int pendingOffset;
        int pendingLength;
        boolean sourceEof;             // the source sent FIN (read returned 0)
        boolean done;                  // ... and we passed it on with shutdown(SHUT_WR)

        /** Reading from the source is allowed: not finished, and nothing waiting to be written. */
        boolean wantsRead() { return !sourceEof && pendingLength == 0; }

        void reset() {
            pending = null;
            pendingOffset = pendingLength = 0;
            sourceEof = done = false;
        }
    }
}
