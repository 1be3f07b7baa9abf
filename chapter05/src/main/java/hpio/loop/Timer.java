package hpio.loop;

import java.util.Objects;

/**
 * A deadline kept by an {@link EventLoop} (Redis's time events, libuv's
 * {@code uv_timer_t}). Made once by its owner and then scheduled, cancelled and
 * re-armed as often as needed: none of that allocates. The balancer's connect
 * timeout, say, is one Timer per connection slot for the slot's whole life, armed
 * at each connect and cancelled when the connect completes.
 *
 * <pre>
 *   Timer idle = new Timer(() -&gt; closeIdle(c));
 *   loop.schedule(idle, 60, TimeUnit.SECONDS);      // arm
 *   loop.schedule(idle, 60, TimeUnit.SECONDS);      // re-arm: the old deadline is gone
 *   loop.cancel(idle);
 * </pre>
 *
 * <p>Belongs to the loop's thread, like every other loop call.
 */
public final class Timer {
    final Runnable task;
    long deadlineNanos;      // on the System.nanoTime() scale; compare by subtraction
    long sequence;           // schedule order: equal deadlines fire first-scheduled first
    int heapIndex = -1;      // where the loop's heap keeps it; -1 when not scheduled

    /** @param task what to run, on the loop's thread, when the timer is due */
    public Timer(Runnable task) {
        this.task = Objects.requireNonNull(task, "task");
    }

    /** True from {@link EventLoop#schedule} until it runs or is cancelled. */
    public boolean isScheduled() { return heapIndex >= 0; }

    /** When it is due (System.nanoTime() scale); meaningful only while scheduled. */
    public long deadlineNanos() { return deadlineNanos; }
}
