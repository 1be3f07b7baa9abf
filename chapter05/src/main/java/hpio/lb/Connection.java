package hpio.lb;

import hpio.lb.hooks.IdleNode;
import hpio.lb.hooks.OutboundBuffer;
import hpio.lb.hooks.Pump;
import hpio.loop.IoHandler;
import hpio.net.IoBuffer;
import java.io.IOException;

/**
 * One proxied client: its fd, its backend's fd and the two byte flows between
 * them. Made once, at start, by the {@link ConnectionPool}; reset and reused. It is
 * its own event handler for both fds (the C version's callback plus user_data),
 * and its own node in the idle list (exercise 3).
 */
final class Connection extends IdleNode implements IoHandler {
    static final int FREE = 0;
    static final int CONNECTING = 1;   // client accepted, backend connect in progress
    static final int OPEN = 2;         // both sockets connected, bytes flowing

    final int id;
    final LoadBalancer owner;
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

    final Flow toBackend = new Flow(this, true);    // read from the client, written to the backend
    final Flow toClient = new Flow(this, false);    // read from the backend, written to the client

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
     * Bytes going one way. In the baseline nothing is held: what is read is written
     * at once from the loop's shared buffer. Only a short write leaves bytes
     * behind; they move to a spare buffer until the destination takes them, and
     * reading from the source pauses meanwhile, so memory per connection stays
     * bounded. With --write-buffer an {@link OutboundBuffer} holds them instead.
     */
    static final class Flow implements Pump {
        final Connection connection;
        final boolean fromClient;
        IoBuffer pending;              // baseline: null unless a short write left bytes behind
        int pendingOffset;
        int pendingLength;
        OutboundBuffer buffer;         // --write-buffer: made on first need, kept for reuse
        boolean paused;                // the destination is full: do not read the source
        boolean sourceEof;             // the source sent FIN (read returned 0)
        boolean done;                  // ... and we passed it on with shutdown(SHUT_WR)

        Flow(Connection connection, boolean fromClient) {
            this.connection = connection;
            this.fromClient = fromClient;
        }

        int sourceFd() { return fromClient ? connection.clientFd : connection.backendFd; }

        int destinationFd() { return fromClient ? connection.backendFd : connection.clientFd; }

        boolean wantsRead() { return !sourceEof && !paused; }

        /** Bytes wait for the destination: it must be watched for WRITE. */
        boolean hasOutput() { return pendingLength > 0 || (buffer != null && buffer.size() > 0); }

        @Override
        public int pumpOnce() throws IOException {
            return connection.owner.pumpOnce(this);
        }

        void reset() {
            pending = null;
            pendingOffset = pendingLength = 0;
            if (buffer != null) buffer.clear();
            paused = sourceEof = done = false;
        }
    }
}
