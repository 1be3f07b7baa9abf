package hpio.lb.hooks;

import hpio.loop.Timers;

/**
 * Closes connections that move no bytes for a while (exercise 5), on the loop's
 * timers. The balancer calls it on the loop's thread only.
 */
public interface IdlePolicy {
    /** Called once, before any connection: the loop's clock and timers. */
    void attach(Timers timers);

    /** A connection is open (both sides connected). */
    void opened(IdleConnection c);

    /** Bytes moved on it, either way: called once per read or write that moved bytes, so keep it cheap. */
    void traffic(IdleConnection c);

    /** Its {@link IdleConnection#idleTimer()} ran. */
    void timerFired(IdleConnection c);

    /** It closed (for any reason). */
    void closed(IdleConnection c);
}
