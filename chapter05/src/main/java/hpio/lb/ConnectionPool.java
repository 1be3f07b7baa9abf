package hpio.lb;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

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
 *
 * <p>With {@code --threads N} each loop has a pool of its own (its slots are
 * touched by its thread only, so the free list needs no lock), and the pools
 * share one budget: an atomic count of slots in use across every loop, checked
 * against the capacity on take. So {@code --max-conns} stays exact whichever way
 * the kernel spreads the clients, which a capacity split N ways would not be
 * (the hash may send the first two clients to one loop with one slot each), and
 * each pool still grows only as far as its own loop's peak. The cost is one
 * atomic add per connection opened and one per connection closed.
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
    private final AtomicInteger inUse;   // shared by the pools of every loop: the budget
    private volatile long taken;         // slots this loop's pool has handed out: its share of the clients

    ConnectionPool(int capacity, LoadBalancer owner, boolean idleTimeouts) {
        this(capacity, owner, idleTimeouts, new AtomicInteger());
    }

    /** A pool for another loop of the same balancer: it shares {@code budget}'s capacity and count. */
    ConnectionPool(ConnectionPool budget, LoadBalancer owner) {
        this(budget.capacity, owner, budget.idleTimeouts, budget.inUse);
    }

    private ConnectionPool(int capacity, LoadBalancer owner, boolean idleTimeouts, AtomicInteger inUse) {
        if (capacity < 1) throw new IllegalArgumentException("pool size must be at least 1, was " + capacity);
        this.capacity = capacity;
        this.owner = owner;
        this.idleTimeouts = idleTimeouts;
        this.inUse = inUse;
    }

    // snippet-start pool
    /** @return a free connection, or null when all {@link #capacity()} are in use (or the heap is full) */
    Connection take() {
        if (inUse.incrementAndGet() > capacity) {       // the budget of every loop together
            inUse.decrementAndGet();
            return null;
        }
        Connection c = free;
        if (c != null) {
            free = c.nextFree;
            c.nextFree = null;
        } else {
            c = make();
            if (c == null) {
                inUse.decrementAndGet();
                return null;
            }
        }
        taken++;                                        // one writer, this loop's thread
        return c;
    }

    void giveBack(Connection c) {
        c.nextFree = free;
        free = c;
        inUse.decrementAndGet();
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

    /** The most connections it will hold, with every loop's pool (--max-conns, or what the fds and the heap allow). */
    public int capacity() { return capacity; }

    /** Connections made so far: the peak in use at once. */
    public int made() { return madeCount; }

    /** Slots in use, in every loop's pool. */
    public int inUse() { return inUse.get(); }

    /** Slots still free, in every loop's pool together, counting those not made yet. */
    public int freeCount() { return capacity - inUse.get(); }

    /** Slots this pool (this loop) has handed out since the start: how the kernel spread the clients. */
    public long taken() { return taken; }

    /** Same as {@link #capacity()}; the name the status line and the tests use. */
    public int size() { return capacity; }

    /** Slot {@code id}, for the ones made so far. */
    Connection get(int id) { return made[id]; }
}
