package hpio.lb;

/**
 * Every {@link Connection} is made at start and kept on a singly linked free list:
 * taking and giving back are O(1) pointer moves, and nothing is allocated per
 * client afterwards.
 *
 * <pre>
 *   free -&gt; [C7] -&gt; [C3] -&gt; [C9] -&gt; null      take(): pop C7   giveBack(C5): push C5
 * </pre>
 */
public final class ConnectionPool {
    private final Connection[] all;
    private Connection free;
    private volatile int freeCount;   // volatile: tests and the status line read it from other threads

    // snippet-start pool
    ConnectionPool(int size, LoadBalancer owner) {
        if (size < 1) throw new IllegalArgumentException("pool size must be at least 1, was " + size);
        all = new Connection[size];
        for (int i = size - 1; i >= 0; i--) {
            all[i] = new Connection(i, owner);
            all[i].nextFree = free;
            free = all[i];
        }
        freeCount = size;
    }

    /** @return a free connection, or null when all are in use */
    Connection take() {
        Connection c = free;
        if (c == null) return null;
        free = c.nextFree;
        c.nextFree = null;
        freeCount--;
        return c;
    }

    void giveBack(Connection c) {
        c.nextFree = free;
        free = c;
        freeCount++;
    }
    // snippet-end pool

    public int size() { return all.length; }

    public int freeCount() { return freeCount; }

    Connection get(int index) { return all[index]; }
}
