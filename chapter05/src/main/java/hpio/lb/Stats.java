package hpio.lb;

/**
 * The balancer's counters and its {@code -v} status line. One per loop, written by
 * that loop's thread only (no atomics on the per-byte path); the ones tests read
 * from other threads are volatile. With {@code --threads N} the totals are sums
 * over the loops ({@link LoopGroup#sum}), a moment stale at worst.
 */
final class Stats {
    volatile int activeConnections;
    long bytesToBackends;
    long bytesToClients;
    volatile long rejectedPoolFull;
    volatile long rejectedNoUpstream;
    volatile long acceptErrors;
    volatile long idleClosed;
    volatile int maxBuffered;          // most bytes one flow's write buffer held (exercise 4's bound)

    /** @param handlerFailures the loop's count of handler calls that threw (it keeps it; not copied here) */
    String statusLine(Upstream[] upstreams, ConnectionPool pool, long handlerFailures) {
        StringBuilder b = new StringBuilder("high_perf_lb: active ").append(activeConnections);
        for (Upstream u : upstreams) {
            b.append(" | ").append(u.name()).append(" active ").append(u.active)
                    .append(" failed ").append(u.failures());
        }
        b.append(" | to backends ").append(human(bytesToBackends))
                .append(" to clients ").append(human(bytesToClients))
                .append(" | pool free ").append(pool.freeCount()).append('/').append(pool.capacity());
        if (rejectedPoolFull > 0) b.append(" | refused (pool full) ").append(rejectedPoolFull);
        if (rejectedNoUpstream > 0) b.append(" | closed (no backend) ").append(rejectedNoUpstream);
        if (acceptErrors > 0) b.append(" | accept errors ").append(acceptErrors);
        if (handlerFailures > 0) b.append(" | handler failures ").append(handlerFailures);
        return b.toString();
    }

    static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1024 * 1024) return String.format("%.1f KiB", bytes / 1024.0);
        if (bytes < 1024L * 1024 * 1024) return String.format("%.1f MiB", bytes / (1024.0 * 1024));
        return String.format("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }
}
