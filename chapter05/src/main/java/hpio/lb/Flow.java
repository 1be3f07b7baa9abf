package hpio.lb;

import hpio.lb.hooks.FlowPort;
import hpio.lb.hooks.Pump;
import hpio.lb.hooks.WriteQueue;
import hpio.net.IoBuffer;
import hpio.net.Splice;
import java.io.IOException;

/**
 * Bytes going one way through a {@link Connection}. Nothing is held in the common
 * case: what is read is written at once from the balancer's shared buffer. What
 * the destination does not take goes to the flow's {@link WriteQueue} (the
 * baseline's {@link SpareBufferQueue}, or exercise 4's), which decides, through
 * this flow as its {@link FlowPort}, when to watch for WRITE and when to pause
 * the source.
 */
final class Flow implements Pump, FlowPort {
    final Connection connection;
    final boolean fromClient;
    WriteQueue queue;              // made on the first short write, kept for the slot's next connections
    boolean paused;                // the destination is full: do not read the source
    boolean watchingWrite;         // the destination is to be watched for WRITE
    boolean sourceEof;             // the source sent FIN (read returned 0)
    boolean done;                  // ... and we passed it on with shutdown(SHUT_WR)
    Splice.Pipe pipe;              // --splice: held only while bytes wait in it (see Splicer)
    int piped;                     // ... how many

    Flow(Connection connection, boolean fromClient) {
        this.connection = connection;
        this.fromClient = fromClient;
    }

    int sourceFd() { return fromClient ? connection.clientFd : connection.backendFd; }

    int destinationFd() { return fromClient ? connection.backendFd : connection.clientFd; }

    boolean wantsRead() { return !sourceEof && !paused; }

    /** Bytes wait for the destination. */
    boolean hasOutput() { return piped > 0 || queue != null && queue.size() > 0; }

    @Override
    public int pumpOnce() {
        return connection.owner.forwarder().pumpOnce(this);
    }

    @Override
    public int write(IoBuffer buffer, int offset, int length) throws IOException {
        return connection.owner.forwarder().write(this, buffer, offset, length);
    }

    @Override
    public void watchWrite(boolean on) { watchingWrite = on; }

    @Override
    public void pauseSource(boolean paused) { this.paused = paused; }

    void reset() {
        paused = watchingWrite = sourceEof = done = false;
        if (pipe != null) connection.owner.forwarder().splicer().drop(this);
        if (queue != null) {
            try {
                queue.clear();
            } catch (RuntimeException e) {
                queue = null;                // broken: the next connection on this slot makes a new one
                throw e;
            }
        }
    }
}
