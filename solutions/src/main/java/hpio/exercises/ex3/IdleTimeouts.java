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
        node.lastActiveNanos = nowNanos;
        if (node.idleTracked) {
            if (node == tail) return;          // already the newest
            unlink(node);
        }
        node.idlePrev = tail;
        node.idleNext = null;
        if (tail != null) tail.idleNext = node;
        else head = node;
        tail = node;
        node.idleTracked = true;
    }

    @Override
    public void remove(IdleNode node) {
        if (node.idleTracked) unlink(node);
    }

    private void unlink(IdleNode node) {
        if (node.idlePrev != null) node.idlePrev.idleNext = node.idleNext;
        else head = node.idleNext;
        if (node.idleNext != null) node.idleNext.idlePrev = node.idlePrev;
        else tail = node.idlePrev;
        node.idlePrev = node.idleNext = null;
        node.idleTracked = false;
    }

    @Override
    public IdleNode pollExpired(long nowNanos) {
        IdleNode oldest = head;
        if (oldest == null || nowNanos - oldest.lastActiveNanos < timeoutNanos) return null;
        unlink(oldest);
        return oldest;
    }

    @Override
    public long nanosUntilNextExpiry(long nowNanos) {
        if (head == null) return -1;
        return Math.max(0, head.lastActiveNanos + timeoutNanos - nowNanos);
    }
}
