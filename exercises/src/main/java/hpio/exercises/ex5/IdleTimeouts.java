package hpio.exercises.ex5;

import hpio.lb.hooks.IdleConnection;
import hpio.lb.hooks.IdlePolicy;
import hpio.loop.Timers;
import java.util.concurrent.TimeUnit;

/**
 * Exercise 5: idle timeout on the loop's timers ({@code --idle-timeout SECONDS},
 * 60 by default). Close a connection that moved no byte, either way, for the
 * timeout; keep every other one.
 *
 * <p>What you have: each connection comes with its own {@link hpio.loop.Timer}
 * ({@link IdleConnection#idleTimer()}), made once with the connection's pool slot
 * and reused by every client of that slot; when it runs, the balancer calls
 * {@link #timerFired}. The connection also keeps one {@code long} for you
 * ({@link IdleConnection#lastTraffic()}). The loop's timers ({@link Timers}) are
 * a binary heap: arming, re-arming or cancelling one is O(log n) work.
 *
 * <p>What surprises: {@link #traffic} is called once per read or write that moved
 * bytes (thousands of times a second on a busy connection), while a timeout
 * happens at most once per timeout period. And {@code System.nanoTime()}, the
 * loop's clock, has an arbitrary origin: only differences of its values mean anything.
 *
 * <pre>
 *   opened   |----------- timeout -----------|  the timer runs: was the last byte
 *   traffic     ^  ^      ^                     a whole timeout ago?
 * </pre>
 *
 * <p>Hints: {@code make hint EX=5}. Check: {@code make exercise EX=5}.
 */
public final class IdleTimeouts implements IdlePolicy {
    private final long timeoutNanos;
    private Timers timers;

    public IdleTimeouts(long timeoutNanos) {
        if (timeoutNanos <= 0) throw new IllegalArgumentException("timeout must be positive, was " + timeoutNanos);
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public void attach(Timers timers) {
        this.timers = timers;           // the loop's clock and timers, before any connection
    }

    @Override
    public void opened(IdleConnection c) {
        // TODO(ex5): from now on, something must run once the connection has been
        // idle for timeoutNanos (opening counts as its first traffic).
        throw new UnsupportedOperationException("TODO(ex5): opened: watch the connection from now on");
    }

    @Override
    public void traffic(IdleConnection c) {
        // TODO(ex5): bytes moved: the connection is not idle since now. This runs for
        // every read and write that moved bytes, so it must cost (next to) nothing:
        // no work on the loop's timer heap here.
        throw new UnsupportedOperationException("TODO(ex5): traffic: note that it is active, cheaply");
    }

    @Override
    public void timerFired(IdleConnection c) {
        // TODO(ex5): the connection's timer ran. Idle for the whole timeout: close it
        // (closeIdle). Otherwise it must be closed exactly one timeout after its last
        // byte unless more traffic comes; nothing else will run for it.
        throw new UnsupportedOperationException("TODO(ex5): timerFired: close it, or watch it until its real deadline");
    }

    @Override
    public void closed(IdleConnection c) {
        // TODO(ex5): the connection closed (idle, or for any other reason) and its pool
        // slot, timer included, will serve another client: nothing of this one may
        // run after this.
        throw new UnsupportedOperationException("TODO(ex5): closed: nothing may run for it any more");
    }
}
