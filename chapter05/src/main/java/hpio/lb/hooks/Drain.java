package hpio.lb.hooks;

import hpio.loop.Timers;

/**
 * What a {@link ShutdownControl} may do to the balancer. Every method must be
 * called on the loop's thread: the loop is single-threaded, and a call from the
 * signal handler's thread fails with an IllegalStateException naming the thread.
 */
public interface Drain {
    /** Whether the listening socket is still open. */
    boolean listening();

    /** Accepts every client waiting in the listen queue (until EAGAIN), as usual; returns how many. */
    int acceptPending();

    /** Closes the listening socket: no new client from now on. */
    void closeListener();

    /** Connections in flight. */
    int activeConnections();

    /** Ends the run: the connections left are closed and the balancer stops. */
    void exit(String why);

    /** The loop's clock and timers (a deadline must wake the loop). */
    Timers timers();
}
