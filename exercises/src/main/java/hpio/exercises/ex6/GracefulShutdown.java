package hpio.exercises.ex6;

import hpio.lb.hooks.Drain;
import hpio.lb.hooks.ShutdownControl;
import hpio.loop.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import sun.misc.Signal;

/**
 * Exercise 6: graceful shutdown ({@code --graceful}, {@code --drain-timeout SECONDS}).
 * The first SIGTERM (or SIGINT) stops new clients without dropping any client
 * already connected, lets the connections in flight finish, and ends the run
 * when the last one does or when the drain timeout passes; a second signal ends
 * the process at once.
 *
 * <p>What surprises:
 * <ul>
 * <li>A signal handler does not run on the loop's thread. The JDK runs each one
 *     on a new thread of its own ("SIGTERM handler"), while the loop's thread may
 *     be asleep in its wait, or half-way through a turn. The loop is single-threaded:
 *     none of its structures (the listener, the timers, the connections) may be
 *     touched from another thread, and every {@link Drain} method checks it.</li>
 * <li>A client is connected as soon as the kernel has done its handshake: it
 *     waits in the listener's accept queue until the loop accepts it. Closing a
 *     listening socket resets every client still in that queue (ECONNRESET): they
 *     were connected, as far as they knew (docs/programs/listener_close.c).</li>
 * <li>The loop sleeps until an fd or a timer needs it: a drain whose connections
 *     stay quiet gets no turn at all unless something wakes the loop.</li>
 * </ul>
 *
 * <p>Hints: {@code make hint EX=6}. Check: {@code make exercise EX=6}.
 */
public final class GracefulShutdown implements ShutdownControl {
    private final long drainTimeoutNanos;
    private final IntConsumer halt;             // ends the process with a status, at once (no shutdown hooks)
    private Runnable wakeLoop;                  // ends the loop's wait; safe from any thread

    // TODO(ex6): the state you need. For each field: which thread writes it, which
    // reads it, and what makes a write on one thread visible on the other?

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

    /** On a signal handler's thread, never the loop's ({@code name} is "TERM" or "INT"). */
    void onSignal(String name) {
        // TODO(ex6): the first signal: the loop must learn of it, and soon (it may be
        // asleep in its wait), but nothing of the loop's may be touched from this
        // thread. A second signal: the process ends at once, with a status that is not 0.
        // Printing a line for each is welcome (System.err).
        throw new UnsupportedOperationException("TODO(ex6): onSignal: record it and wake the loop; the second one halts");
    }

    @Override
    public void onTurn(Drain drain) {
        // TODO(ex6): on the loop's thread, after every turn. Nothing to do before a
        // signal. Once one came, and once only: no new client from then on, but not
        // one client already queued on the listener may be reset; and the loop must
        // get a turn when drainTimeoutNanos have passed, even if nothing else happens.
        // Then, on every turn: no connection left, exit; the deadline passed, exit
        // with the reason "drain timeout: closing N connection(s)".
        throw new UnsupportedOperationException("TODO(ex6): onTurn: start the drain on the loop's thread, end it");
    }
}
