package hpio.lb;

import hpio.lb.hooks.OutboundBuffer;
import hpio.lb.hooks.Pump;
import hpio.net.IoBuffer;
import java.io.IOException;

/**
 * Bytes going one way through a {@link Connection}. In the baseline nothing is
 * held: what is read is written at once from the balancer's shared buffer. Only a
 * short write leaves bytes behind; they move to a spare buffer until the
 * destination takes them, and reading from the source pauses meanwhile, so memory
 * per connection stays bounded. With --write-buffer an {@link OutboundBuffer}
 * (exercise 2) holds them instead.
 */
final class Flow implements Pump {
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
        return connection.owner.forwarder().pumpOnce(this);
    }

    void reset() {
        pending = null;
        pendingOffset = pendingLength = 0;
        paused = sourceEof = done = false;
        if (buffer != null) {
            try {
                buffer.clear();
            } catch (RuntimeException e) {
                buffer = null;               // broken: the next connection on this slot makes a new one
                throw e;
            }
        }
    }
}
