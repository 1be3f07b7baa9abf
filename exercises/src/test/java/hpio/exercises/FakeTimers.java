package hpio.exercises;

import hpio.loop.Timer;
import hpio.loop.Timers;
import java.lang.reflect.Field;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;

/**
 * The loop's timers with a clock the test moves by hand: {@link #advance} runs
 * every timer that falls due on the way, earliest first, each at its deadline, as
 * the loop would. Counts the calls to {@link #schedule} and {@link #cancel}.
 */
public final class FakeTimers implements Timers {
    /** A timer's task is the loop's business (hpio.loop keeps it package-private): this loop reads it the same way. */
    private static final Field TASK;

    static {
        try {
            TASK = Timer.class.getDeclaredField("task");
            TASK.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private record Armed(Timer timer, long deadline, long sequence) {}

    private final Map<Timer, Armed> armed = new IdentityHashMap<>();
    private final PriorityQueue<Armed> heap = new PriorityQueue<>((a, b) -> a.deadline != b.deadline
            ? Long.compare(a.deadline - b.deadline, 0) : Long.compare(a.sequence, b.sequence));
    private long now = 7_000_000_000_123L;       // nanoTime's origin is arbitrary: not 0
    private long sequence;
    public int schedules;
    public int cancels;
    public long runs;

    @Override
    public long nanoTime() { return now; }

    @Override
    public void schedule(Timer timer, long delay, TimeUnit unit) {
        schedules++;
        Armed a = new Armed(timer, now + unit.toNanos(delay), sequence++);
        armed.put(timer, a);                     // re-armed: the old entry in the heap is stale from now on
        heap.add(a);
    }

    @Override
    public void cancel(Timer timer) {
        cancels++;
        armed.remove(timer);
    }

    public boolean isArmed(Timer timer) { return armed.containsKey(timer); }

    /** How long from now until {@code timer} runs; it must be armed. */
    public long dueIn(Timer timer) { return armed.get(timer).deadline - now; }

    public int armedCount() { return armed.size(); }

    /** Moves the clock forward by {@code nanos}, running each timer due on the way at its deadline. */
    public void advance(long nanos) {
        long target = now + nanos;
        long runsHere = 0;
        while (true) {
            Armed next = heap.peek();
            while (next != null && armed.get(next.timer) != next) {   // cancelled or re-armed since
                heap.poll();
                next = heap.peek();
            }
            if (next == null || next.deadline - target > 0) break;
            heap.poll();
            armed.remove(next.timer);
            if (next.deadline - now > 0) now = next.deadline;
            if (++runsHere > 10_000_000) {
                throw new AssertionError("timers ran " + runsHere + " times while the clock moved "
                        + TimeUnit.NANOSECONDS.toMillis(nanos) + " ms: a timer that re-arms itself for 0 ns"
                        + " (idle for exactly the timeout counts as idle)");
            }
            runs++;
            run(next.timer);
        }
        now = target;
    }

    public void advance(long amount, TimeUnit unit) { advance(unit.toNanos(amount)); }

    private static void run(Timer timer) {
        try {
            ((Runnable) TASK.get(timer)).run();
        } catch (IllegalAccessException e) {
            throw new AssertionError(e);
        }
    }
}
