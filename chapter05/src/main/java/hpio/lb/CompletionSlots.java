package hpio.lb;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The completion path's connection slots: a slot is made the first time it is
 * needed (memory follows the peak of connections open at once, not the limit)
 * and kept on a free list ever after. Slot numbers start at 1; 0 is the
 * listener's. Where the kernel has no provided buffers, each slot has two
 * buffers of its own from the start; else it gets one only if the shared pool
 * runs dry while it receives ({@link #buffer()}).
 *
 * <p>Those buffers come from one arena that lives as long as the balancer: a buffer
 * handed to the kernel must stay mapped until its operation's CQE arrives, and a
 * slot comes back here only when the loop counts none of its operations in
 * flight ({@link hpio.proactor.CompletionLoop#retire}), so a buffer is never
 * freed, nor given to another connection, while the kernel may write into it.
 */
final class CompletionSlots {
    private final int capacity;
    private final int bufferSize;
    private final boolean ownBuffers;           // two per slot from the start (no shared pool)
    private final Arena arena = Arena.ofShared();
    private CompletionConnection[] made = new CompletionConnection[16];
    private int madeCount;
    private int inUse;
    private CompletionConnection free;
    private volatile int inUseSeen;          // for other threads (tests, the status line)
    private volatile int ownBuffersMade;     // buffers made for slots the shared pool could not serve

    CompletionSlots(int capacity, int bufferSize, boolean ownBuffers) {
        if (capacity < 1) throw new IllegalArgumentException("pool size must be at least 1, was " + capacity);
        this.capacity = capacity;
        this.bufferSize = bufferSize;
        this.ownBuffers = ownBuffers;
    }

    /** A buffer for one direction of a slot, kept with it; null when there is no memory for one. */
    MemorySegment buffer() {
        try {
            MemorySegment b = arena.allocate(bufferSize, 64);
            ownBuffersMade++;                    // one writer, the loop's thread
            return b;
        } catch (OutOfMemoryError e) {
            return null;
        }
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
            MemorySegment up = ownBuffers ? arena.allocate(bufferSize, 64) : null;
            MemorySegment down = ownBuffers ? arena.allocate(bufferSize, 64) : null;
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

    /** Buffers made for slots when the shared pool ran dry (0 when it never did). */
    int ownBuffersMade() { return ownBuffersMade; }

    int freeCount() { return capacity - inUseSeen; }

    /** Slot number {@code slot} (1..made()). */
    CompletionConnection get(int slot) { return made[slot - 1]; }

    /** Frees every buffer: only after the ring is closed with nothing in flight. */
    void free() { arena.close(); }
}
