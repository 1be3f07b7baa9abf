package hpio.lb;

import java.net.InetSocketAddress;

/** One backend server the balancer forwards to, with its live counters. */
public final class Upstream {
    final int index;
    final String host;
    final int port;
    final int weight;
    final InetSocketAddress address;   // resolved once, at start

    int active;              // established connections now
    long served;             // connections established in total
    long failures;           // refused or timed-out connects
    long downUntilNanos;     // passive health check: skipped until then

    Upstream(int index, String host, int port, int weight) {
        this.index = index;
        this.host = host;
        this.port = port;
        this.weight = weight;
        this.address = new InetSocketAddress(host, port);
    }

    boolean isUp(long nowNanos) { return nowNanos - downUntilNanos >= 0; }

    public int active() { return active; }

    public long served() { return served; }

    public long failures() { return failures; }

    public String name() { return host + ":" + port; }

    @Override
    public String toString() { return name() + (weight != 1 ? " (weight " + weight + ")" : ""); }
}
