package hpio.exercises.ex6;

import hpio.lb.hooks.Drain;
import hpio.lb.hooks.ShutdownControl;
import hpio.loop.Timer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import sun.misc.Signal;

/**
 * Exercise 6: graceful shutdown ({@code --graceful}, {@code --drain-timeout SECONDS}).
 *
 * <p>A signal handler runs on a thread of its own, not the loop's: it may only
 * record the signal and wake the loop. The loop, after that turn, sees it and
 * starts the drain itself. Closing the listener with clients still in its accept
 * queue would reset them, so it first accepts what is queued, then closes. The
 * last connection, or the deadline, ends the run; a second signal ends the
 * process at once.
 *
 * <pre>
 *  signal thread                       loop thread
 *  SIGTERM -&gt; onSignal: record, wake -&gt; onTurn: acceptPending, closeListener,
 *                                              arm the deadline
 *                                      onTurn: 0 left? exit. deadline? exit.
 *  SIGTERM -&gt; onSignal: halt
 * </pre>
 *
 * <p>Hints: {@code make hint EX=6}. Check: {@code make exercise EX=6}.
 */
public final class GracefulShutdown implements ShutdownControl {
    private final long drainTimeoutNanos;
    private final IntConsumer halt;             // ends the process with a status, at once
    private Runnable wakeLoop;

    // Written by the signal handlers, read by the loop: atomic. The JDK runs each
    // signal's handler on a new thread, so two signals may even race each other.
    private final AtomicInteger signals = new AtomicInteger();

    // The loop's thread only, from here on.
    private boolean draining;
    private boolean deadlinePassed;
    private final Timer deadline = new Timer(() -> deadlinePassed = true);   // runs on the loop's thread

    public GracefulShutdown(long drainTimeoutNanos) {
        this(drainTimeoutNanos, () -> { }, status -> Runtime.getRuntime().halt(status));
    }

    /** For the unit tests: no signal handler is installed; they call {@link #onSignal} from a thread of their own. */
    GracefulShutdown(long drainTimeoutNanos, Runnable wakeLoop, IntConsumer halt) {
        this.drainTimeoutNanos = drainTimeoutNanos;
        this.wakeLoop = wakeLoop;
        this.halt = halt;
    }

    @Override
    public void install(Runnable wakeLoop) {
        this.wakeLoop = wakeLoop;
        // Replacing the JVM's handlers also means its shutdown hooks no longer run on
        // these signals: from now on, ending the process is this class's business.
        Signal.handle(new Signal("TERM"), s -> onSignal(s.getName()));
        Signal.handle(new Signal("INT"), s -> onSignal(s.getName()));
    }

    /** On a signal handler's thread (never the loop's): record, wake the loop, nothing else. */
    void onSignal(String name) {
        if (signals.getAndIncrement() > 0) {
            System.err.println("high_perf_lb: second SIG" + name + ": exiting now");
            halt.accept(1);     // halt, not exit: exit would run shutdown hooks and wait for them
            return;
        }
        System.err.println("high_perf_lb: SIG" + name + ": no new connections; draining (again to exit at once)");
        wakeLoop.run();         // the loop may be asleep in its wait for minutes: end the wait now
    }

    @Override
    public void onTurn(Drain drain) {
        if (signals.get() == 0) return;
        if (!draining) {
            draining = true;
            // Those queued were promised a connection by the kernel's handshake:
            // closing the listener now would reset them (ECONNRESET). Take them first.
            drain.closeListener();                  // MUTANT: the queued clients are reset
            // A quiet connection may never wake the loop again: the deadline must.
            drain.timers().schedule(deadline, drainTimeoutNanos, TimeUnit.NANOSECONDS);
        }
        int left = drain.activeConnections();      // after acceptPending: those just taken count
        if (left == 0) {
            drain.timers().cancel(deadline);
            drain.exit("drained: every connection finished");
        } else if (deadlinePassed) {
            drain.exit("drain timeout: closing " + left + " connection(s)");
        }
    }
}
