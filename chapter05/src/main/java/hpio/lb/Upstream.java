package hpio.lb;

import java.net.InetSocketAddress;

/** One backend server the balancer forwards to, with its live counters and passive health. */
public final class Upstream {
    final int index;
    final String host;
    final int port;
    final int weight;
    final InetSocketAddress address;   // resolved once, at start

    int active;                        // established connections now
    private volatile long served;      // connections established in total (volatile: tests read it)
    private volatile long failures;    // refused or timed-out connects
    private boolean down;              // passive health check: skipped until downUntilNanos
    private long downUntilNanos;       // meaningful only while down: nanoTime may be any value, 0 included

    Upstream(int index, String host, int port, int weight) {
        this.index = index;
        this.host = host;
        this.port = port;
        this.weight = weight;
        this.address = new InetSocketAddress(host, port);
    }

    boolean isUp(long nowNanos) {
        if (down && nowNanos - downUntilNanos >= 0) down = false;
        return !down;
    }

    /** Records a failure of the backend's own; it is skipped for {@code forNanos}. @return whether it was up */
    boolean markDown(long nowNanos, long forNanos) {
        boolean wasUp = isUp(nowNanos);
        failures++;
        down = true;
        downUntilNanos = nowNanos + forNanos;
        return wasUp;
    }

    void connected() {
        active++;
        served++;
    }

    public int active() { return active; }

    public long served() { return served; }

    public long failures() { return failures; }

    public String name() { return host + ":" + port; }

    @Override
    public String toString() { return name() + (weight != 1 ? " (weight " + weight + ")" : ""); }
}
