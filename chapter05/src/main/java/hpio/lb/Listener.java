package hpio.lb;

import static hpio.loop.Events.READ;

import hpio.lb.hooks.Acceptor;
import hpio.lb.hooks.ReadPolicy;
import hpio.loop.EventLoop;
import hpio.loop.Timer;
import hpio.net.PeerAddress;
import hpio.net.Sockets;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * The listening socket: takes clients off the accept queue, gives each a
 * {@link Connection} from the pool and hands it to the {@link UpstreamConnector}.
 * When accept fails (for want of fds, EMFILE or ENFILE, most often) the client
 * stays in the queue and the listener stays readable, so retrying at once would
 * spin: the listener is unwatched for 100 ms, on a loop timer.
 */
final class Listener implements Acceptor {
    private static final long PAUSE_MILLIS = 100;

    private final LoadBalancer lb;
    private final EventLoop loop;
    private final Sockets sockets;
    private final ConnectionPool pool;
    private final UpstreamConnector connector;
    private final Stats stats;
    private final RateLimitedLog rateLimited;
    private final ReadPolicy readPolicy;
    private final int fd;
    private final int edge;
    private final PeerAddress peer = new PeerAddress();
    private final Timer resume = new Timer(this::resume);
    private boolean open = true;

    Listener(LoadBalancer lb, EventLoop loop, Sockets sockets, int fd, ConnectionPool pool,
             UpstreamConnector connector, Stats stats, RateLimitedLog rateLimited, ReadPolicy readPolicy) {
        this.lb = lb;
        this.loop = loop;
        this.sockets = sockets;
        this.fd = fd;
        this.pool = pool;
        this.connector = connector;
        this.stats = stats;
        this.rateLimited = rateLimited;
        this.readPolicy = readPolicy;
        this.edge = readPolicy.registrationFlags();
    }

    /** Starts watching the listening socket. */
    void start() throws IOException {
        // snippet-start register-listener
        loop.add(fd, READ | edge, (fd, events) -> readPolicy.onAcceptable(this));
        // snippet-end register-listener
    }

    boolean isOpen() { return open; }

    /** Accepts one client (the {@link ReadPolicy} decides how many per wake-up). */
    @Override
    // snippet-start accept-one
    public boolean acceptOne() {
        if (!open || resume.isScheduled()) return false;
        int client;
        try {
            client = sockets.accept(fd, peer);
        } catch (IOException e) {
            stats.acceptErrors++;
            rateLimited.log(RateLimitedLog.Kind.ACCEPT, "high_perf_lb: accept failed (" + e.getMessage()
                    + "); pausing accepts for " + PAUSE_MILLIS + " ms");
            pause();
            return false;
        }
        if (client == Sockets.AGAIN) return false;
        Connection c = pool.take();
        if (c == null) {
            stats.rejectedPoolFull++;
            if (rateLimited.due(RateLimitedLog.Kind.POOL)) {     // checked first: no message built per refusal
                lb.log().println(pool.inUse() < pool.capacity()
                        ? "high_perf_lb: out of heap for more connections (" + pool.inUse() + " in use): refusing "
                                + "clients; raise -Xmx through JAVA_OPTS (" + stats.rejectedPoolFull + " refused so far)"
                        : "high_perf_lb: connection pool exhausted (" + pool.inUse() + " in use): refusing "
                                + "clients; raise --max-conns (" + stats.rejectedPoolFull + " refused so far)");
            }
            lb.closeQuietly(client);
            return true;
        }
        stats.activeConnections++;
        c.clientFd = client;
        c.clientIpv4 = peer.ipv4();
        connector.connect(c);
        return true;
    }
    // snippet-end accept-one

    private void pause() {
        try {
            loop.modify(fd, 0);
            loop.schedule(resume, PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (IOException e) {
            lb.log().println("high_perf_lb: cannot pause the listener: " + e.getMessage());
        }
    }

    private void resume() {
        if (!open) return;
        try {
            loop.modify(fd, READ | edge);
        } catch (IOException e) {
            lb.log().println("high_perf_lb: cannot resume the listener: " + e.getMessage());
        }
    }

    /** Accepts every client in the listen queue (until EAGAIN, or accepting pauses); returns how many. */
    int acceptPending() {
        int n = 0;
        while (acceptOne()) n++;
        return n;
    }

    /** Stops accepting and closes the listening socket (a drain, or the end). */
    void close() {
        if (!open) return;
        open = false;
        loop.cancel(resume);
        lb.closeFd(fd);
    }
}
