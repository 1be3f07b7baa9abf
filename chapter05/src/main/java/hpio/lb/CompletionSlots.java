package hpio.lb;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The completion path's connection slots and their native buffers: a slot and
 * its two buffers are made the first time they are needed (memory follows the
 * peak of connections open at once, not the limit) and kept on a free list ever
 * after. Slot numbers start at 1; 0 is the listener's.
 *
 * <p>The buffers come from one arena that lives as long as the balancer: a buffer
 * handed to the kernel must stay mapped until its operation's CQE arrives, and a
 * slot comes back here only when the loop counts none of its operations in
 * flight ({@link hpio.proactor.CompletionLoop#retire}), so a buffer is never
 * freed, nor given to another connection, while the kernel may write into it.
 */
final class CompletionSlots {
    private final int capacity;
    private final int bufferSize;
    private final Arena arena = Arena.ofShared();
    private CompletionConnection[] made = new CompletionConnection[16];
    private int madeCount;
    private int inUse;
    private CompletionConnection free;
    private volatile int inUseSeen;          // for other threads (tests, the status line)

    CompletionSlots(int capacity, int bufferSize) {
        if (capacity < 1) throw new IllegalArgumentException("pool size must be at least 1, was " + capacity);
        this.capacity = capacity;
        this.bufferSize = bufferSize;
    }

    /** A free slot, or null when all {@link #capacity()} are in use (or no memory is left for another). */
    CompletionConnection take() {
        if (inUse == capacity) return null;
        CompletionConnection c = free;
        if (c != null) {
            free = c.nextFree;
            c.nextFree = null;
        } else if ((c = make()) == null) {
            return null;
        }
        inUseSeen = ++inUse;
        return c;
    }

    /** Only once the loop has retired the slot: none of its operations is in flight. */
    void giveBack(CompletionConnection c) {
        c.nextFree = free;
        free = c;
        inUseSeen = --inUse;
    }

    private CompletionConnection make() {
        try {
            if (madeCount == made.length) made = Arrays.copyOf(made, (int) Math.min(capacity, 2L * made.length));
            MemorySegment up = arena.allocate(bufferSize, 64), down = arena.allocate(bufferSize, 64);
            CompletionConnection c = new CompletionConnection(madeCount + 1, up, down);
            made[madeCount++] = c;
            return c;
        } catch (OutOfMemoryError e) {
            return null;                     // this client is refused; the balancer goes on
        }
    }

    int capacity() { return capacity; }

    int made() { return madeCount; }

    int inUse() { return inUseSeen; }

    int freeCount() { return capacity - inUseSeen; }

    /** Slot number {@code slot} (1..made()). */
    CompletionConnection get(int slot) { return made[slot - 1]; }

    /** Frees every buffer: only after the ring is closed with nothing in flight. */
    void free() { arena.close(); }
}
