package hpio.exercises.ex4;

import hpio.lb.hooks.ShutdownControl;
import sun.misc.Signal;

/**
 * Exercise 4: graceful shutdown ({@code --graceful}, {@code --drain-timeout SECONDS}).
 *
 * <p>A signal handler runs on its own thread, not the loop's: it may only record
 * the signal (in a volatile field) and wake the loop; the loop, on its next turn,
 * sees {@link #isDraining()} and closes its listener itself. The first SIGTERM or
 * SIGINT starts the drain, the last connection or the deadline ends it, and a
 * second signal ends the process at once.
 *
 * <p>Hints: {@code make hint EX=4}. Check: {@code make exercise EX=4}.
 */
public final class GracefulShutdown implements ShutdownControl {
    private final long drainTimeoutNanos;
    private volatile long drainDeadline;      // set by the first signal
    private volatile boolean draining;
    private Runnable wakeLoop = () -> { };

    public GracefulShutdown(long drainTimeoutNanos) {
        this.drainTimeoutNanos = drainTimeoutNanos;
    }

    @Override
    public void install(Runnable wakeLoop) {
        this.wakeLoop = wakeLoop;
        // TODO(ex4): handle SIGTERM and SIGINT: Signal.handle(new Signal("TERM"), s -> onSignal(s.getName())), same for "INT".
        throw new UnsupportedOperationException("TODO(ex4): GracefulShutdown.install");
    }

    /** Called on the JVM's signal thread. */
    void onSignal(String name) {
        // TODO(ex4): second signal: Runtime.getRuntime().halt(1). First: set the deadline, then draining, then wake the loop.
        throw new UnsupportedOperationException("TODO(ex4): GracefulShutdown.onSignal");
    }

    @Override
    public boolean isDraining() {
        return draining;
    }

    @Override
    public boolean shouldExit(int activeConnections, long nowNanos) {
        // TODO(ex4): when draining: true once no connection is left or the deadline has passed.
        throw new UnsupportedOperationException("TODO(ex4): GracefulShutdown.shouldExit");
    }

    @Override
    public long nanosUntilDeadline(long nowNanos) {
        // TODO(ex4): -1 when not draining, else the time left until the deadline (0 once passed).
        throw new UnsupportedOperationException("TODO(ex4): GracefulShutdown.nanosUntilDeadline");
    }
}
