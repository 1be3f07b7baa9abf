package hpio.lb.hooks;

/**
 * Closes connections nobody has used for a while (exercise 3). Every connection
 * has the same timeout, so a list ordered by last activity does it: touching moves
 * a node to the tail, the head is always the next to expire, and one loop timer,
 * armed for the head's deadline, is all the balancer needs: nothing polls. Times
 * are passed in (nanoseconds on the System.nanoTime() scale), so tests can use
 * any clock.
 */
public interface IdleTracker {
    /** Records activity: the node becomes the most recent (it is added if not tracked). O(1). */
    void touch(IdleNode node, long nowNanos);

    /** Stops tracking the node (the connection closed). O(1); a no-op if not tracked. */
    void remove(IdleNode node);

    /** Removes and returns the least recently active node if its timeout has passed, else null. */
    IdleNode pollExpired(long nowNanos);

    /** Nanoseconds until the next node expires (0 if one already has), or -1 when none is tracked. */
    long nanosUntilNextExpiry(long nowNanos);
}
