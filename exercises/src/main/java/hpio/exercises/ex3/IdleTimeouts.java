package hpio.exercises.ex3;

import hpio.lb.hooks.IdleNode;
import hpio.lb.hooks.IdleTracker;

/**
 * Exercise 3: idle timeout ({@code --idle-timeout SECONDS}).
 *
 * <p>One doubly linked list through the connections themselves (the
 * {@code idlePrev}/{@code idleNext} fields of {@link IdleNode}), least recently
 * active at the head. Every connection has the same timeout, so the order by last
 * activity is also the order of expiry: the head is always the next to go.
 *
 * <pre>
 *   head (oldest) &lt;-&gt; C4 &lt;-&gt; C1 &lt;-&gt; C7 &lt;-&gt; tail (newest)      touch(C1): unlink, append at tail
 * </pre>
 *
 * <p>Hints: {@code make hint EX=3}. Check: {@code make exercise EX=3}.
 */
public final class IdleTimeouts implements IdleTracker {
    private final long timeoutNanos;
    private IdleNode head;
    private IdleNode tail;

    public IdleTimeouts(long timeoutNanos) {
        if (timeoutNanos <= 0) throw new IllegalArgumentException("timeout must be positive, was " + timeoutNanos);
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public void touch(IdleNode node, long nowNanos) {
        // TODO(ex3): record nowNanos in the node, unlink it if tracked, append it at the tail, mark it tracked.
        throw new UnsupportedOperationException("TODO(ex3): IdleTimeouts.touch");
    }

    @Override
    public void remove(IdleNode node) {
        if (node.idleTracked) unlink(node);
    }

    private void unlink(IdleNode node) {
        // TODO(ex3): take the node out of the list in O(1), fixing head and tail, and mark it untracked.
        throw new UnsupportedOperationException("TODO(ex3): IdleTimeouts.unlink");
    }

    @Override
    public IdleNode pollExpired(long nowNanos) {
        // TODO(ex3): if the head has been idle for timeoutNanos or more, unlink and return it; else null.
        throw new UnsupportedOperationException("TODO(ex3): IdleTimeouts.pollExpired");
    }

    @Override
    public long nanosUntilNextExpiry(long nowNanos) {
        // TODO(ex3): -1 when the list is empty, else how long until the head expires (0 if it already has).
        throw new UnsupportedOperationException("TODO(ex3): IdleTimeouts.nanosUntilNextExpiry");
    }
}
