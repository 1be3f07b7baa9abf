package hpio.exercises.ex5;

import hpio.lb.hooks.IdleConnection;
import hpio.lb.hooks.IdlePolicy;
import hpio.loop.Timer;

/**
 * A connection as the balancer shows it to an {@link IdlePolicy}: its timer calls
 * {@code timerFired} while it is open (a timer left armed on a closed slot does
 * nothing, as in {@code LoadBalancer.idleTimerFired}), and closing it, for being
 * idle or otherwise, tells the policy {@code closed}, as {@code LoadBalancer.release} does.
 */
final class FakeConnection implements IdleConnection {
    private final IdlePolicy policy;
    private final Timer timer;
    private final int[] reads;          // lastTraffic() calls, shared by a test's connections
    private final int readBudget;
    private long lastTraffic;
    boolean open;
    int idleClosed;
    int timerRunsWhileClosed;

    FakeConnection(IdlePolicy policy) {
        this(policy, new int[1], Integer.MAX_VALUE);
    }

    /** Every {@link #lastTraffic()} call counts in {@code reads[0]}; past {@code readBudget} it fails the test. */
    FakeConnection(IdlePolicy policy, int[] reads, int readBudget) {
        this.policy = policy;
        this.reads = reads;
        this.readBudget = readBudget;
        this.timer = new Timer(() -> {
            if (open) policy.timerFired(this); else timerRunsWhileClosed++;
        });
    }

    /** A client takes this slot: both sides are connected. */
    FakeConnection open() {
        open = true;
        policy.opened(this);
        return this;
    }

    /** Bytes moved (the balancer calls this once per read or write that moved bytes). */
    void moveBytes() {
        policy.traffic(this);
    }

    /** The client or the backend closed it. */
    void closeByPeer() {
        if (!open) return;
        policy.closed(this);
        open = false;
    }

    @Override public Timer idleTimer() { return timer; }

    @Override public long lastTraffic() {
        if (++reads[0] > readBudget) {
            throw new AssertionError("read the last-traffic time of connections " + reads[0] + " times: an O(n) scan"
                    + " of every connection when one timer runs; each connection's timer should look at that"
                    + " connection only (O(1) per timer run, O(log n) to re-arm)");
        }
        return lastTraffic;
    }

    @Override public void lastTraffic(long nanos) { lastTraffic = nanos; }

    @Override public void closeIdle() {
        if (!open) return;              // as the balancer: closing a closed connection does nothing
        idleClosed++;
        policy.closed(this);
        open = false;
    }
}
