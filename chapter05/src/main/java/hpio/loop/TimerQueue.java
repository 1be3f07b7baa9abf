package hpio.loop;

import java.util.Arrays;

/**
 * The loop's timers, in a binary min-heap ordered by deadline (libuv's choice, in
 * {@code src/timer.c}). Each {@link Timer} remembers its index in the heap, so
 * cancelling or re-arming one is a sift of O(log n), with no search and no
 * allocation. Public for the proactor's loop ({@code hpio.proactor.CompletionLoop}),
 * which keeps its own timers the same way.
 *
 * <p>Why a heap and not a hashed timing wheel (Netty's {@code HashedWheelTimer},
 * the Linux kernel's timer wheel)? A wheel arms and cancels in O(1), but it rounds
 * every deadline to its tick and must turn even when nothing is due. Here n is
 * a timer or two per connection (10,000 connections: about 14 levels), each turn of
 * the loop needs the exact earliest deadline to size its wait, and the heap gives
 * that at its root. The balancer re-arms idle timers lazily (see its idle-timeout
 * code), so the heap is touched once per timeout period, not once per event.
 */
public final class TimerQueue {
    private Timer[] heap = new Timer[16];
    private int size;
    private long nextSequence;

    public int size() { return size; }

    /** The earliest timer, or null. */
    public Timer peek() { return size == 0 ? null : heap[0]; }

    /** Arms {@code t} for {@code deadline}, or moves it there if it is armed already. */
    public void schedule(Timer t, long deadline) {
        t.deadlineNanos = deadline;
        t.sequence = nextSequence++;
        if (t.heapIndex >= 0) {
            // Re-armed in place: it can only need to move one way.
            siftUp(t.heapIndex);
            siftDown(t.heapIndex);
            return;
        }
        if (size == heap.length) heap = Arrays.copyOf(heap, size * 2);
        heap[size] = t;
        t.heapIndex = size++;
        siftUp(t.heapIndex);
    }

    /** Disarms {@code t}; a no-op when it is not armed. */
    public void cancel(Timer t) {
        int i = t.heapIndex;
        if (i < 0) return;
        t.heapIndex = -1;
        Timer last = heap[--size];
        heap[size] = null;
        if (i == size) return;
        heap[i] = last;
        last.heapIndex = i;
        siftUp(i);
        siftDown(i);
    }

    /** Removes and returns the earliest timer if it is due at {@code now}, else null. */
    public Timer pollDue(long now) {
        Timer first = peek();
        if (first == null || first.deadlineNanos - now > 0) return null;
        cancel(first);
        return first;
    }

    /** Runs a due timer's task: for a loop outside this package (the proactor's CompletionLoop). */
    public static void run(Timer t) { t.task.run(); }

    private static boolean before(Timer a, Timer b) {
        long d = a.deadlineNanos - b.deadlineNanos;      // nanoTime may wrap: compare by difference
        return d < 0 || (d == 0 && a.sequence - b.sequence < 0);
    }

    private void siftUp(int i) {
        Timer t = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!before(t, heap[parent])) break;
            place(heap[parent], i);
            i = parent;
        }
        place(t, i);
    }

    private void siftDown(int i) {
        Timer t = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && before(heap[child + 1], heap[child])) child++;
            if (!before(heap[child], t)) break;
            place(heap[child], i);
            i = child;
        }
        place(t, i);
    }

    private void place(Timer t, int i) {
        heap[i] = t;
        t.heapIndex = i;
    }
}
