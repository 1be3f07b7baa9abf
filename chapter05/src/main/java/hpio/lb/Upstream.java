package hpio.lb;

import java.io.PrintStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * One backend server the balancer forwards to, with its live counters and passive
 * health. One object serves every loop ({@code --threads N}): what a connect
 * learns (refused: skip it) must reach every loop at once, or each loop would
 * pay its own failed connect. So the counters are updated atomically (once a
 * connection, never per byte) and the health is two volatile fields, written in
 * an order that makes a torn read harmless.
 */
public final class Upstream {
    private static final VarHandle ACTIVE;
    private static final VarHandle SERVED;
    private static final VarHandle FAILURES;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ACTIVE = l.findVarHandle(Upstream.class, "active", int.class);
            SERVED = l.findVarHandle(Upstream.class, "served", long.class);
            FAILURES = l.findVarHandle(Upstream.class, "failures", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final int index;
    final String host;
    final int port;
    final int weight;
    final InetSocketAddress address;   // resolved once, at start

    volatile int active;               // established connections now, over every loop (leastconn reads it)
    private volatile long served;      // connections established in total
    private volatile long failures;    // refused or timed-out connects
    // Passive health. markDown writes the deadline first and the flag second, so a
    // loop that sees down == true also sees a deadline written with it. down is
    // never cleared: once it is set the deadline alone decides, and isUp only reads
    // (a read-modify-write here could undo another loop's fresh markDown).
    private volatile long downUntilNanos;   // meaningful only once down: nanoTime may be any value, 0 included
    private volatile boolean down;

    Upstream(int index, String host, int port, int weight) {
        this.index = index;
        this.host = host;
        this.port = port;
        this.weight = weight;
        this.address = new InetSocketAddress(host, port);
    }

    boolean isUp(long nowNanos) {
        return !down || nowNanos - downUntilNanos >= 0;
    }

    /**
     * Records a failure of the backend's own; it is skipped for {@code forNanos}.
     * @return whether it was up (two loops failing at once may both see true: two log lines, no harm)
     */
    boolean markDown(long nowNanos, long forNanos) {
        boolean wasUp = isUp(nowNanos);
        FAILURES.getAndAdd(this, 1L);
        downUntilNanos = nowNanos + forNanos;
        down = true;
        return wasUp;
    }

    /**
     * Marks the backend down after a failure of its own, and says so once per
     * outage in {@code log}; both connectors (the reactor's and the completion
     * path's) report a failed connect this way.
     */
    void markFailed(String why, long nowNanos, long forNanos, PrintStream log) {
        if (markDown(nowNanos, forNanos)) {
            log.printf("high_perf_lb: backend %s failed (%s); skipping it for %d s%n",
                    name(), why, TimeUnit.NANOSECONDS.toSeconds(forNanos));
        }
    }

    /**
     * Of {@code upstreams}, those still allowed for one client, as a bit set: not
     * tried yet ({@code tried}) and up; if none of those is up, any not tried.
     */
    static long candidates(Upstream[] upstreams, long tried, long nowNanos) {
        long all = upstreams.length == 64 ? -1L : (1L << upstreams.length) - 1;
        long up = 0;
        for (Upstream u : upstreams) if (u.isUp(nowNanos)) up |= 1L << u.index;
        long untried = all & ~tried;
        // Every one marked down: try them anyway (a refused connect costs little),
        // so service resumes the moment one comes back.
        return (untried & up) != 0 ? untried & up : untried;
    }

    void connected() {
        ACTIVE.getAndAdd(this, 1);
        SERVED.getAndAdd(this, 1L);
    }

    void disconnected() {
        ACTIVE.getAndAdd(this, -1);
    }

    public int active() { return active; }

    public long served() { return served; }

    public long failures() { return failures; }

    public String name() { return host + ":" + port; }

    @Override
    public String toString() { return name() + (weight != 1 ? " (weight " + weight + ")" : ""); }
}
