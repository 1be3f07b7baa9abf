package hpio.lb.hooks;

/**
 * Graceful shutdown (exercise 4): the first SIGTERM or SIGINT starts draining
 * (stop accepting, let the connections in flight finish), a deadline or the last
 * connection ends it, a second signal ends it at once.
 */
public interface ShutdownControl {
    /**
     * Installs the signal handlers. Called once, before the loop runs.
     *
     * @param wakeLoop ends the loop's wait (any thread): call it after a signal, so the loop notices now
     */
    void install(Runnable wakeLoop);

    /** True once the first signal has arrived: the balancer closes its listener and drains. */
    boolean isDraining();

    /** Asked by the loop on every turn: true when it should stop now. */
    boolean shouldExit(int activeConnections, long nowNanos);

    /** Nanoseconds until the drain deadline (0 if passed), or -1 when not draining. */
    long nanosUntilDeadline(long nowNanos);
}
