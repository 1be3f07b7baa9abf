package hpio.lb;

import java.util.Arrays;

/**
 * The balancer's {@link Connection}s: made the first time a slot is needed, up to
 * the pool's capacity, and kept on a singly linked free list ever after. Taking
 * and giving back are O(1) pointer moves; once the pool has grown to the peak of
 * connections open at once, nothing is allocated per client. Memory follows use,
 * not the limit: a pool allowed 500,000 connections that has served 10 holds 10.
 *
 * <pre>
 *   made[]  [C0] [C1] [C2] [C3]                 made so far (grows by doubling)
 *   free -&gt; [C3] -&gt; [C1] -&gt; null                 take(): pop C3   giveBack(C5): push C5
 *   free empty and made &lt; capacity: make C4       made == capacity: refuse
 * </pre>
 */
public final class ConnectionPool {
    /**
     * What one proxied connection may cost on the heap, generously: {@code make
     * footprint} measured about 200 bytes on the FFM backends and 1.4 KB on nio
     * (its channels and keys are JDK objects), plus the loop's tables per fd. The
     * default capacity keeps this times the pool within half the heap, and a
     * {@code --max-conns} beyond the whole heap is refused at start.
     */
    public static final long HEAP_PER_CONNECTION = 2048;

    private final int capacity;
    private final LoadBalancer owner;
    private final boolean idleTimeouts;
    private Connection[] made = new Connection[16];
    private int madeCount;
    private Connection free;
    private volatile int inUse;       // volatile: tests and the status line read it from other threads

    ConnectionPool(int capacity, LoadBalancer owner, boolean idleTimeouts) {
        if (capacity < 1) throw new IllegalArgumentException("pool size must be at least 1, was " + capacity);
        this.capacity = capacity;
        this.owner = owner;
        this.idleTimeouts = idleTimeouts;
    }

    // snippet-start pool
    /** @return a free connection, or null when all {@link #capacity()} are in use (or the heap is full) */
    Connection take() {
        Connection c = free;
        if (c != null) {
            free = c.nextFree;
            c.nextFree = null;
        } else {
            if (madeCount == capacity) return null;
            c = make();
            if (c == null) return null;
        }
        inUse++;
        return c;
    }

    void giveBack(Connection c) {
        c.nextFree = free;
        free = c;
        inUse--;
    }
    // snippet-end pool

    /** A new slot; null if the heap cannot hold it (the client is refused, the balancer goes on). */
    private Connection make() {
        try {
            if (madeCount == made.length) made = Arrays.copyOf(made, (int) Math.min(capacity, 2L * made.length));
            Connection c = new Connection(madeCount, owner, idleTimeouts);
            made[madeCount++] = c;
            return c;
        } catch (OutOfMemoryError e) {
            return null;
        }
    }

    /** The most connections it will hold (--max-conns, or what the fds and the heap allow). */
    public int capacity() { return capacity; }

    /** Connections made so far: the peak in use at once. */
    public int made() { return madeCount; }

    public int inUse() { return inUse; }

    /** Slots still free, counting those not made yet. */
    public int freeCount() { return capacity - inUse; }

    /** Same as {@link #capacity()}; the name the status line and the tests use. */
    public int size() { return capacity; }

    /** Slot {@code id}, for the ones made so far. */
    Connection get(int id) { return made[id]; }
}
