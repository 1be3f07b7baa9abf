package hpio.lb;

import hpio.loop.EventLoop;
import hpio.net.OpenFiles;
import hpio.net.Sockets;
import java.io.IOException;
import java.io.PrintStream;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The loops of one balancer ({@code --threads N}) and what they share. Each loop
 * is a {@link LoadBalancer} of its own, on a thread of its own, with its own
 * listening socket on the one port (SO_REUSEPORT: the kernel spreads the clients),
 * its own connections, pool, timers, counters and exercise objects. Loop 0 is the
 * one {@code run()} is called on; it starts the others and owns the process-wide
 * jobs: the status line and exercise 6's signal handling.
 *
 * <p>What is shared, and how (nothing here is touched per byte):
 * <ul>
 * <li>the {@link Upstream}s: passive health must be seen by every loop at once
 *     (volatile fields), their counters are atomic (once a connection);</li>
 * <li>the {@link Algorithm}: one instance, picking under its monitor, so wrr
 *     stays smooth over all loops (once a connection);</li>
 * <li>the pool's budget: each loop its own pool, one atomic count of slots in use
 *     ({@link ConnectionPool});</li>
 * <li>not shared: {@link Stats} (each loop writes its own; readers sum them, a
 *     status line may be a moment stale), the {@link RateLimitedLog} (one per
 *     loop: at most one line a second of a kind per loop), the exercise objects
 *     (each loop makes its own).</li>
 * </ul>
 */
final class LoopGroup {
    final LbConfig config;
    final PrintStream log;
    final Upstream[] upstreams;
    final Algorithm algorithm;
    final Supplier<Hooks> hooks;                 // called once per loop
    final LoadBalancer[] loops;
    int port;                                    // loop 0's, which the others bind to
    private final List<Thread> threads = new ArrayList<>();
    private volatile Throwable failure;          // the first loop that died; all are stopped then
    private volatile boolean draining;           // exercise 6 on loop 0 has closed its listener
    private CountDownLatch followersClosed;

    LoopGroup(LbConfig config, PrintStream log, Upstream[] upstreams, Supplier<Hooks> hooks) {
        this.config = config;
        this.log = log;
        this.upstreams = upstreams;
        this.algorithm = Algorithm.of(config.algorithm(), upstreams.length);
        this.hooks = hooks;
        this.loops = new LoadBalancer[config.threads()];
    }

    int size() { return loops.length; }

    /** Makes loop {@code i} (its constructor cleans up after itself when it fails). */
    interface LoopFactory {
        LoadBalancer make(int i) throws IOException;
    }

    /**
     * Loops 1..N-1, bound to loop 0's port, then {@code andThen} (exercise 6's install);
     * if either fails, every loop made is closed and the error thrown.
     */
    void addFollowers(LoopFactory factory, Runnable andThen) throws IOException {
        try {
            for (int i = 1; i < loops.length; i++) factory.make(i);
            andThen.run();
        } catch (IOException | RuntimeException e) {
            for (LoadBalancer lb : loops) {
                try {
                    if (lb != null) lb.close();
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** The start-up lines, once every loop listens. */
    void announce(OpenFiles.Limit files, String exercisesOn, String origin) {
        LoadBalancer lb = leader();
        log.printf("high_perf_lb: listening on %s:%d with %s, %s over %d backend(s), pool of up to %d"
                        + " connections, made as needed (%s)%s%n",
                config.bindAddress(), port, lb.backendName(), algorithm.name(), upstreams.length,
                lb.pool().capacity(), files.describe(), loops.length == 1 ? ""
                        : "; " + loops.length + " loops on " + loops.length + " threads, one listener each (SO_REUSEPORT)");
        if (loops.length > 1 && System.getProperty("os.name", "").startsWith("Mac")) {
            log.println("high_perf_lb: on macOS SO_REUSEPORT lets the loops share the port but does not spread"
                    + " the clients: expect one loop to get them all");
        }
        if (config.bindAddress().equals("127.0.0.1")) {
            log.println("high_perf_lb: loopback only; use --bind 0.0.0.0 to listen on all interfaces");
        }
        if (!exercisesOn.isEmpty()) {
            log.println("high_perf_lb: exercises on: " + exercisesOn + " (classes from " + origin + "/)");
        }
    }

    /**
     * Loop {@code index}'s listening socket. With more than one loop each has its
     * own, with SO_REUSEPORT, on the port loop 0 got. SO_REUSEPORT would also let us
     * join the group of another process of this user already on the port (and share
     * its clients, silently): a first bind without it fails with EADDRINUSE then.
     */
    int listen(Sockets sockets, int index) throws IOException {
        InetSocketAddress address = new InetSocketAddress(config.bindAddress(), index == 0 ? config.port() : port);
        if (loops.length == 1) return sockets.listen(address, 4096);
        if (index == 0 && config.port() != 0) sockets.close(sockets.listen(address, 1));
        return sockets.listen(address, 4096, true);
    }

    /** After a loop failed to start: unwatches and closes its listener and closes the loop, each step on its own. */
    static void abandon(Exception e, EventLoop loop, Sockets sockets, int listenFd) {
        if (listenFd >= 0) {
            try {
                if (loop.isRegistered(listenFd)) loop.remove(listenFd);
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            try {
                sockets.close(listenFd);
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
        }
        try {
            loop.close();
        } catch (IOException | RuntimeException suppressed) {
            e.addSuppressed(suppressed);
        }
    }

    static Upstream[] resolve(List<LbConfig.UpstreamSpec> specs) throws IOException {
        Upstream[] ups = new Upstream[specs.size()];
        for (int i = 0; i < ups.length; i++) {
            LbConfig.UpstreamSpec s = specs.get(i);
            ups[i] = new Upstream(i, s.host(), s.port(), s.weight());
            if (ups[i].address.isUnresolved()) throw new IOException("cannot resolve backend host " + s.host());
            if (!(ups[i].address.getAddress() instanceof Inet4Address)) {
                throw new IOException("backend " + ups[i].name() + " is not an IPv4 address; only IPv4 is supported");
            }
        }
        return ups;
    }

    LoadBalancer leader() { return loops[0]; }

    /** Runs loops 1..N-1, each on a thread of its own; a loop that dies stops them all. */
    void startFollowers() {
        for (int i = 1; i < loops.length; i++) {
            LoadBalancer follower = loops[i];
            threads.add(Thread.ofPlatform().name("high_perf_lb-loop-" + i).start(() -> {
                try {
                    follower.runLoop();
                } catch (Throwable t) {
                    if (failure == null) failure = t;
                    stopAll();
                }
            }));
        }
    }

    /** After loop 0 ended: stops and waits for the others, and rethrows what stopped one of them. */
    void stopAndJoinFollowers() throws IOException {
        stopAll();
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Throwable t = failure;
        if (t instanceof IOException io) throw io;
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
    }

    /** Every loop ends its run after the turn it is in (any thread). */
    void stopAll() {
        for (LoadBalancer lb : loops) if (lb != null) lb.stopLoop();
    }

    // ---------------------------------------------------------------- exercise 6 with N loops

    /*
     * One ShutdownControl (loop 0's) installs the signal handlers and drives the
     * drain; the other loops follow. When it closes loop 0's listener, each other
     * loop, on its own thread, accepts what its own listen queue holds (the kernel
     * put those clients there: closing would reset them) and closes its listener;
     * loop 0 waits for that, so that once closeListener() returns no socket listens
     * and activeConnections() counts every client the kernel promised. A follower
     * wakes loop 0 when its count changes, so the drain ends when the last
     * connection of any loop does.
     */

    /** Loop 0, draining: makes every other loop accept its queue and close its listener, and waits for it. */
    void drainFollowers() {
        if (loops.length == 1 || draining) return;
        followersClosed = new CountDownLatch(loops.length - 1);
        draining = true;
        for (int i = 1; i < loops.length; i++) loops[i].loop().wakeup();
        try {
            // Each follower does this in one turn; the bound is for one whose thread has died.
            if (!followersClosed.await(10, TimeUnit.SECONDS)) log.println("high_perf_lb: a loop did not close its listener");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean draining() { return draining; }

    /** A follower's turn while draining: close its listener once; tell loop 0 when its connections change. */
    void followerTurn(LoadBalancer follower, boolean listenerWasOpen, int activeBefore) {
        if (listenerWasOpen) {
            follower.listener().acceptPending();
            follower.listener().close();
            followersClosed.countDown();
        }
        if (follower.stats().activeConnections != activeBefore) leader().loop().wakeup();
    }

    /** A follower that ends (or never ran) must not keep loop 0 waiting. */
    void followerEnded(boolean listenerWasOpen) {
        if (draining && listenerWasOpen) followersClosed.countDown();
    }

    // ---------------------------------------------------------------- sums over the loops

    int activeConnections() {
        int n = 0;
        for (LoadBalancer lb : loops) if (lb != null) n += lb.stats().activeConnections;
        return n;
    }

    /** Every loop's counters added up (read from other threads: a moment stale at worst). */
    Stats sum() {
        Stats s = new Stats();
        for (LoadBalancer lb : loops) {
            if (lb == null) continue;
            Stats o = lb.stats();
            s.activeConnections += o.activeConnections;
            s.bytesToBackends += o.bytesToBackends;
            s.bytesToClients += o.bytesToClients;
            s.rejectedPoolFull += o.rejectedPoolFull;
            s.rejectedNoUpstream += o.rejectedNoUpstream;
            s.acceptErrors += o.acceptErrors;
            s.idleClosed += o.idleClosed;
            s.maxBuffered = Math.max(s.maxBuffered, o.maxBuffered);
        }
        return s;
    }

    long handlerFailures() {
        long n = 0;
        for (LoadBalancer lb : loops) if (lb != null) n += lb.loop().failures();
        return n;
    }

    long loopWaits() {
        long n = 0;
        for (LoadBalancer lb : loops) if (lb != null) n += lb.loop().waits();
        return n;
    }

    /** Clients each loop has taken, in loop order: the spread of the kernel's SO_REUSEPORT hash. */
    long[] acceptedPerLoop() {
        long[] n = new long[loops.length];
        for (int i = 0; i < loops.length; i++) if (loops[i] != null) n[i] = loops[i].pool().taken();
        return n;
    }

    String statusLine() {
        String line = sum().statusLine(upstreams, leader().pool(), handlerFailures());
        if (loops.length == 1) return line;
        StringBuilder b = new StringBuilder(line).append(" | clients per loop");
        for (long n : acceptedPerLoop()) b.append(' ').append(n);
        return b.toString();
    }
}
