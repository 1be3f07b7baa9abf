package hpio.exercises.ex5;

import hpio.lb.hooks.IdleConnection;
import hpio.lb.hooks.IdlePolicy;
import hpio.loop.Timers;
import java.util.concurrent.TimeUnit;

/**
 * Exercise 5: idle timeout on the loop's timers ({@code --idle-timeout SECONDS},
 * 60 by default).
 *
 * <p>Each connection has one timer. Traffic comes far more often than timeouts,
 * so traffic only notes the time: re-arming the timer on every read would move it
 * in the loop's heap thousands of times a second for nothing. When the timer
 * runs, it looks at that time: idle long enough, the connection is closed;
 * otherwise the timer is armed again for what is left (Netty's IdleStateHandler
 * works the same way).
 *
 * <pre>
 *   opened   |----------- timeout -----------|  timer runs: idle only 40%? re-arm
 *   traffic     ^  ^      ^ (notes the time)       for the other 60% ...
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
        this.timers = timers;
    }

    @Override
    public void opened(IdleConnection c) {
        c.lastTraffic(timers.nanoTime());           // opening counts as traffic: idle from now
        timers.schedule(c.idleTimer(), timeoutNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void traffic(IdleConnection c) {
        // Called once per read or write that moved bytes: a store, no heap work.
        // The timer catches up when it runs (at most once per timeout).
        c.lastTraffic(timers.nanoTime());
        timers.schedule(c.idleTimer(), timeoutNanos, TimeUnit.NANOSECONDS);   // MUTANT: heap work on every read
    }

    @Override
    public void timerFired(IdleConnection c) {
        // nanoTime's origin is arbitrary and may wrap: compare differences, never absolute values.
        long idleFor = timers.nanoTime() - c.lastTraffic();
        if (idleFor >= timeoutNanos) {
            c.closeIdle();                          // the balancer then calls closed(c)
        } else {
            // Active since the timer was armed: the deadline is a timeout after the last
            // byte, which is sooner than a whole timeout from now.
            timers.schedule(c.idleTimer(), timeoutNanos - idleFor, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void closed(IdleConnection c) {
        // The slot and its timer go back to the pool: an armed timer would run for
        // the slot's next client (and keeps a heap entry for nothing until then).
        timers.cancel(c.idleTimer());
    }
}
