package hpio.exercises.ex6;

import hpio.lb.hooks.Drain;
import hpio.lb.hooks.ShutdownControl;
import hpio.loop.Timer;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;

/**
 * Exercise 6: graceful shutdown ({@code --graceful}, {@code --drain-timeout SECONDS}).
 *
 * <p>A signal handler runs on a thread of its own, not the loop's: it may only
 * record the signal (in a volatile field) and wake the loop. The loop, after its
 * next turn, sees it and starts the drain itself. Closing the listener with
 * clients still in its accept queue would reset them, so it first accepts what is
 * queued, then closes. The last connection, or the deadline, ends the run; a
 * second signal ends the process at once.
 *
 * <p>Hints: {@code make hint EX=6}. Check: {@code make exercise EX=6}.
 */
public final class GracefulShutdown implements ShutdownControl {
    private final long drainTimeoutNanos;
    private final Timer deadline = new Timer(() -> deadlinePassed = true);
    private volatile boolean signalled;         // written by the signal thread, read by the loop
    private boolean draining;                   // loop thread only
    private boolean deadlinePassed;
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

    /** On the JVM's signal thread: record, wake, nothing else. */
    void onSignal(String name) {
        if (signalled) {
            System.err.println("high_perf_lb: second SIG" + name + ": exiting now");
            Runtime.getRuntime().halt(1);
        }
        signalled = true;
        System.err.println("high_perf_lb: SIG" + name + ": no new connections; draining (again to exit at once)");
        wakeLoop.run();
    }

    @Override
    public void onTurn(Drain drain) {
        if (!signalled) return;
        if (!draining) {
            draining = true;
            drain.acceptPending();            // the queued clients were promised a connection
            drain.closeListener();
            drain.timers().schedule(deadline, drainTimeoutNanos, TimeUnit.NANOSECONDS);   // wakes the loop then
        }
        int left = drain.activeConnections();
        if (left == 0) {
            drain.timers().cancel(deadline);
            drain.exit("drained: every connection finished");
        } else if (deadlinePassed) {
            drain.exit("drain timeout: closing " + left + " connection(s)");
        }
    }
}
