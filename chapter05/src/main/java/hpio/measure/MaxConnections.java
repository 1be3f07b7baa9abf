package hpio.measure;

import hpio.lb.LoadBalancer;

/**
 * How many connections SCENARIOS=10k (or max) runs: the chapter's 10,000 where
 * every process can hold them, else the most the open-files limit allows, and
 * the reason, which the run prints.
 *
 * <p>Who holds how many descriptors at N keep-alive connections, each process
 * under the same per-process limit (the runner raises its soft limit to the hard
 * one and every child inherits it):
 * <pre>
 *   wrk (the load tool)   N client sockets + a few of its own (epoll, threads' pipes)
 *   the proxy             2N: the client's side and the backend's side of each
 *                         connection, + its own: the listener, epoll or the JVM's
 *                         jars, pipes and selector (our balancer keeps 32 free)
 *   demo backend A        3/5 N through a proxy (wrr 3:2), all N on the direct row
 *   demo backend B        2/5 N
 * </pre>
 * So the proxy binds first: 2N + {@link #PROXY_OWN_FDS} must fit. With the
 * hard limit of 20,000 here that is (20,000 - 40) / 2 = 9,980. Every row of the
 * scenario, direct included, uses the same N so that its rows compare.
 */
record MaxConnections(int connections, String why) {
    /** The chapter's table: "10,000 concurrent connections". */
    static final int CHAPTER = 10_000;

    /**
     * What a proxy holds besides its connections, with room: the balancer keeps 32
     * fds free ({@link LoadBalancer#defaultPoolSize}); HAProxy and nginx need their
     * listener, epoll fd, log and pid files.
     */
    static final int PROXY_OWN_FDS = 40;

    /** The scenario's size under {@code openFiles}, the soft limit now in force (raised to the hard one). */
    static MaxConnections forLimit(long openFiles) {
        long byProxy = (openFiles - PROXY_OWN_FDS) / 2;
        // Our balancer's own pool must hold them too (it refuses clients past it).
        long byPool = LoadBalancer.defaultPoolSize(openFiles, Integer.MAX_VALUE - 1, Long.MAX_VALUE);
        long n = Math.max(1, Math.min(CHAPTER, Math.min(byProxy, byPool)));
        if (n == CHAPTER) {
            return new MaxConnections(CHAPTER, "10,000 connections, as the chapter: the open files limit ("
                    + Numbers.group(openFiles) + ") holds a proxy's 2 x 10,000 + " + PROXY_OWN_FDS);
        }
        return new MaxConnections((int) n, Numbers.group(n) + " connections, not the chapter's 10,000: the open files"
                + " limit is " + Numbers.group(openFiles) + " per process and a proxy holds 2 per connection plus ~"
                + PROXY_OWN_FDS + " of its own: (" + Numbers.group(openFiles) + " - " + PROXY_OWN_FDS + ") / 2 = "
                + Numbers.group(byProxy) + (byPool < byProxy ? ", our balancer's pool " + Numbers.group(byPool) : "")
                + "; wrk holds " + Numbers.group(n) + ", the backends their shares; raise the hard limit (ulimit -Hn,"
                + " as root) for 10,000");
    }
}
