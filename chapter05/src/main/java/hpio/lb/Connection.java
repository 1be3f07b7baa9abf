package hpio.lb;

import hpio.lb.hooks.IdleConnection;
import hpio.loop.IoHandler;
import hpio.loop.Timer;
import java.io.IOException;

/**
 * One proxied client: its fd, its backend's fd and the two byte flows between
 * them. Made by the {@link ConnectionPool} the first time a slot is needed, then
 * reset and reused. It is its own event handler for both fds (the C version's
 * callback plus user_data), and what an idle policy (exercise 5) sees of it.
 */
final class Connection implements IoHandler, IdleConnection {
    static final int FREE = 0;
    static final int CONNECTING = 1;   // client accepted, backend connect in progress
    static final int OPEN = 2;         // both sockets connected, bytes flowing

    final int id;
    final LoadBalancer owner;
    final Timer connectTimer;          // the backend connect's deadline
    private final Timer idleTimer;     // made only when idle timeouts are on
    private long lastTraffic;          // kept for the idle policy
    Connection nextFree;               // free-list link, while in the pool

    int state = FREE;
    int clientFd = -1;
    int backendFd = -1;
    int clientIpv4;
    int upstream = -1;
    long triedUpstreams;               // bit i: upstream i was tried for this client

    final Flow toBackend = new Flow(this, true);    // read from the client, written to the backend
    final Flow toClient = new Flow(this, false);    // read from the backend, written to the client

    Connection(int id, LoadBalancer owner, boolean idleTimeouts) {
        this.id = id;
        this.owner = owner;
        this.connectTimer = new Timer(() -> owner.connector().timedOut(this));
        this.idleTimer = idleTimeouts ? new Timer(() -> owner.idleTimerFired(this)) : null;
    }

    @Override
    public void onEvent(int fd, int events) throws IOException {
        if (state == CONNECTING) {
            if (fd == backendFd) owner.connector().onConnectProgress(this);
        } else {
            owner.forwarder().onEvent(this, fd, events);
        }
    }

    /** Something threw out of {@link #onEvent}: this connection goes, the balancer stays. */
    @Override
    public void onFailure(int fd, Exception cause) {
        owner.handlerFailed(this, cause);
    }

    @Override public Timer idleTimer() { return idleTimer; }

    @Override public long lastTraffic() { return lastTraffic; }

    @Override public void lastTraffic(long nanos) { lastTraffic = nanos; }

    @Override public void closeIdle() { owner.closeIdle(this); }

    void reset() {
        state = FREE;
        clientFd = backendFd = -1;
        upstream = -1;
        triedUpstreams = 0;
        try {
            toBackend.reset();
        } finally {
            toClient.reset();
        }
    }
}
