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
        // Replacing the JVM's handlers also means its shutdown hooks no longer run on these signals.
        Signal.handle(new Signal("TERM"), s -> onSignal(s.getName()));
        Signal.handle(new Signal("INT"), s -> onSignal(s.getName()));
    }

    /** Called on the JVM's signal thread. */
    void onSignal(String name) {
        if (draining) {
            System.err.println("high_perf_lb: second SIG" + name + ": exiting now");
            Runtime.getRuntime().halt(1);
        }
        drainDeadline = System.nanoTime() + drainTimeoutNanos;
        draining = true;
        System.err.println("high_perf_lb: SIG" + name + ": no new connections; draining (again to exit at once)");
        wakeLoop.run();
    }

    @Override
    public boolean isDraining() {
        return draining;
    }

    @Override
    public boolean shouldExit(int activeConnections, long nowNanos) {
        if (!draining) return false;
        if (activeConnections == 0) return true;
        if (nowNanos - drainDeadline >= 0) {
            System.err.println("high_perf_lb: drain timeout: closing " + activeConnections + " connection(s)");
            return true;
        }
        return false;
    }

    @Override
    public long nanosUntilDeadline(long nowNanos) {
        return draining ? Math.max(0, drainDeadline - nowNanos) : -1;
    }
}
