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
        c.lastTraffic(timers.nanoTime());
        timers.schedule(c.idleTimer(), timeoutNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void traffic(IdleConnection c) {
        c.lastTraffic(timers.nanoTime());           // no timer work here: it catches up when it runs
    }

    @Override
    public void timerFired(IdleConnection c) {
        long idleFor = timers.nanoTime() - c.lastTraffic();
        if (idleFor >= timeoutNanos) {
            c.closeIdle();
        } else {
            timers.schedule(c.idleTimer(), timeoutNanos - idleFor, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void closed(IdleConnection c) {
        timers.cancel(c.idleTimer());               // or it would run for the slot's next client
    }
}
