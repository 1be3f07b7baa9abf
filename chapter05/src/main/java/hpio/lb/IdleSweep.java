package hpio.lb;

import hpio.lb.hooks.IdleNode;
import hpio.lb.hooks.IdleTracker;
import hpio.loop.EventLoop;
import hpio.loop.Timer;
import java.util.concurrent.TimeUnit;

/**
 * Idle timeouts on the loop's timers (exercise 3 supplies the tracker). One timer
 * for all connections, armed for the tracker's earliest deadline: touching a
 * connection only moves it in the tracker's list, and since a touch can only push
 * deadlines later, the timer may fire early but never late. When it fires it
 * closes what has expired and re-arms for the next deadline.
 */
final class IdleSweep {
    private final EventLoop loop;
    private final IdleTracker tracker;
    private final LoadBalancer lb;
    private final Timer timer = new Timer(this::sweep);

    IdleSweep(EventLoop loop, IdleTracker tracker, LoadBalancer lb) {
        this.loop = loop;
        this.tracker = tracker;
        this.lb = lb;
    }

    /** The connection moved bytes (or just opened). O(1); the heap is touched only when the timer was idle. */
    void touch(Connection c) {
        long now = loop.nanoTime();
        tracker.touch(c.idle, now);
        if (!timer.isScheduled()) arm(now);
    }

    void remove(Connection c) {
        tracker.remove(c.idle);
    }

    private void sweep() {
        long now = loop.nanoTime();
        IdleNode expired;
        while ((expired = tracker.pollExpired(now)) != null) {
            lb.closeIdle(lb.pool().get(expired.connectionId));
        }
        arm(now);
    }

    private void arm(long now) {
        long next = tracker.nanosUntilNextExpiry(now);
        if (next >= 0) loop.schedule(timer, next, TimeUnit.NANOSECONDS);
    }

    void stop() {
        loop.cancel(timer);
    }
}
