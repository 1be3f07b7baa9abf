package hpio.lb.hooks;

/**
 * Graceful shutdown (exercise 6): the first SIGTERM or SIGINT starts a drain
 * (stop accepting without dropping the clients already queued, let the
 * connections in flight finish), the last connection or a deadline ends it, and a
 * second signal ends the process at once.
 */
public interface ShutdownControl {
    /**
     * Installs the signal handlers. Called once, on the loop's thread, before the loop runs.
     *
     * @param wakeLoop ends the loop's wait (any thread): a signal handler calls it, so the loop notices now
     */
    void install(Runnable wakeLoop);

    /** Called on the loop's thread after every turn of the loop. */
    void onTurn(Drain drain);
}
