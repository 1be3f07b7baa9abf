package hpio.loop;

import java.util.concurrent.TimeUnit;

/**
 * The timer half of an {@link EventLoop}, as an interface of its own so that code
 * which only needs deadlines (an idle timeout, a drain deadline) can be tested
 * with a clock the test moves by hand.
 */
public interface Timers {
    /** The clock every deadline is on (System.nanoTime() for a real loop). */
    long nanoTime();

    /** Arms {@code timer} to run {@code delay} from now; re-arms it if it is armed already. */
    void schedule(Timer timer, long delay, TimeUnit unit);

    /** Disarms {@code timer}; a no-op if it is not armed. */
    void cancel(Timer timer);
}
