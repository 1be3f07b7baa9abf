package hpio.lb;

import static hpio.loop.Events.WRITE;

import hpio.loop.EventLoop;
import hpio.net.PeerUnreachableException;
import hpio.net.Sockets;
import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.TimeUnit;

/**
 * Chooses a backend for each new client and connects to it without blocking: the
 * algorithm picks among the backends not tried yet for this client and not marked
 * down; a refused, unreachable or timed-out connect marks that backend down for
 * {@code --fail-timeout} (passive health checking, as nginx's max_fails) and the
 * next one is tried. A local failure (no fd, no port) is never the backend's
 * fault: the socket layer tells the two apart ({@link PeerUnreachableException}).
 */
final class UpstreamConnector {
    private final LoadBalancer lb;
    private final EventLoop loop;
    private final Sockets sockets;
    private final Upstream[] upstreams;
    private final Algorithm algorithm;
    private final Forwarder forwarder;
    private final Stats stats;
    private final RateLimitedLog rateLimited;
    private final PrintStream log;
    private final long connectTimeoutMillis;
    private final long failTimeoutNanos;

    UpstreamConnector(LoadBalancer lb, EventLoop loop, Sockets sockets, Upstream[] upstreams, Algorithm algorithm,
                      Forwarder forwarder, Stats stats, RateLimitedLog rateLimited, PrintStream log,
                      LbConfig config) {
        this.lb = lb;
        this.loop = loop;
        this.sockets = sockets;
        this.upstreams = upstreams;
        this.algorithm = algorithm;
        this.forwarder = forwarder;
        this.stats = stats;
        this.rateLimited = rateLimited;
        this.log = log;
        this.connectTimeoutMillis = config.connectTimeoutMillis();
        this.failTimeoutNanos = TimeUnit.SECONDS.toNanos(config.failTimeoutSeconds());
    }

    /** Picks an upstream and starts a non-blocking connect; on failure tries the next one; else closes the client. */
    // snippet-start connect-upstream
    void connect(Connection c) {
        long now = loop.nanoTime();
        while (true) {
            long allowed = Upstream.candidates(upstreams, c.triedUpstreams, now);
            int i = algorithm.pick(upstreams, c.clientIpv4, allowed);
            if (i < 0) {
                stats.rejectedNoUpstream++;
                rateLimited.log(RateLimitedLog.Kind.NO_UPSTREAM,
                        "high_perf_lb: no backend reachable; closing client connections");
                lb.release(c);
                return;
            }
            c.triedUpstreams |= 1L << i;
            c.upstream = i;
            try {
                c.backendFd = sockets.connect(upstreams[i].address);
            } catch (PeerUnreachableException e) {
                // Refused by connect() itself (usually finishConnect says so): the next one.
                upstreams[i].markFailed(e.getMessage(), now, failTimeoutNanos, log);
                continue;
            } catch (IOException e) {              // EMFILE, EADDRNOTAVAIL: ours, not the backend's
                localFailure(c, e);
                return;
            }
            try {
                loop.add(c.backendFd, WRITE, c);   // writable = the connect finished, either way
            } catch (IOException e) {              // e.g. epoll's max_user_watches: not the upstream's fault
                rateLimited.log(RateLimitedLog.Kind.REGISTER,
                        "high_perf_lb: cannot watch a new connection: " + e.getMessage());
                lb.release(c);
                return;
            }
            c.state = Connection.CONNECTING;
            loop.schedule(c.connectTimer, connectTimeoutMillis, TimeUnit.MILLISECONDS);
            return;
        }
    }
    // snippet-end connect-upstream

    // snippet-start on-connect-progress
    void onConnectProgress(Connection c) {
        try {
            if (!sockets.finishConnect(c.backendFd)) return;       // not yet
        } catch (PeerUnreachableException e) {
            retryElsewhere(c, e);
            return;
        } catch (IOException e) {
            localFailure(c, e);
            return;
        }
        loop.cancel(c.connectTimer);
        upstreams[c.upstream].connected();
        try {
            forwarder.start(c);
        } catch (IOException e) {                     // e.g. select's FD_SETSIZE, epoll's max_user_watches
            rateLimited.log(RateLimitedLog.Kind.REGISTER,
                    "high_perf_lb: cannot watch a connection: " + e.getMessage());
            lb.release(c);
        }
    }
    // snippet-end on-connect-progress

    /** A connect failed for a reason of ours (no fd, no port): this client goes, no backend is blamed. */
    private void localFailure(Connection c, IOException e) {
        rateLimited.log(RateLimitedLog.Kind.CONNECT, "high_perf_lb: cannot connect to a backend: " + e.getMessage());
        lb.release(c);
    }

    /** The connect timer fired: the backend did not answer in time. */
    void timedOut(Connection c) {
        if (c.state != Connection.CONNECTING) return;
        retryElsewhere(c, new IOException("connect timed out after " + connectTimeoutMillis + " ms"));
    }

    private void retryElsewhere(Connection c, IOException why) {
        loop.cancel(c.connectTimer);
        upstreams[c.upstream].markFailed(why.getMessage(), loop.nanoTime(), failTimeoutNanos, log);
        lb.closeFd(c.backendFd);
        c.backendFd = -1;
        c.state = Connection.FREE;
        connect(c);
    }
}
