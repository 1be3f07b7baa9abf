package hpio.lb;

import hpio.lb.hooks.Drain;
import hpio.lb.hooks.ExerciseKit;
import hpio.lb.hooks.IdlePolicy;
import hpio.lb.hooks.ShutdownControl;
import hpio.loop.EventLoop;
import hpio.loop.Timer;
import hpio.net.OpenFiles;
import hpio.net.Sockets;
import hpio.transport.Transport;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The chapter's {@code high_perf_lb}: one thread, one event loop, any backend
 * (with {@code --threads N}, N of these, one per loop, in a {@link LoopGroup}). It
 * is written once against {@link EventLoop} and {@link Sockets}; nothing here knows
 * whether epoll, select or nio is underneath. This class puts the parts together
 * and owns their life: start, run, drain, stop, and closing a connection. The
 * bytes take this path through the parts:
 *
 * <pre>
 *  client --&gt; Listener (accept) --&gt; ConnectionPool (a slot)
 *         --&gt; UpstreamConnector (pick a backend, connect, retry, mark down)
 *         --&gt; Forwarder (bytes both ways, flush, half-close) --&gt; release()
 * </pre>
 */
public final class LoadBalancer implements Balancer {
    private final LoopGroup group;
    private final int index;                      // which loop of the group: 0 is the one run() is called on
    private final LbConfig config;
    private final PrintStream log;
    private final RateLimitedLog rateLimited;
    private final Stats stats = new Stats();
    private final EventLoop loop;
    private final Sockets sockets;
    private final Upstream[] upstreams;
    private final ConnectionPool pool;
    private final IdlePolicy idle;                // null: connections never time out (exercise 5)
    private final ShutdownControl shutdown;       // null: a signal stops at once (exercise 6)
    private final Drain drain;
    private final Forwarder forwarder;
    private final UpstreamConnector connector;
    private final Listener listener;
    private final int port;
    private final Timer statusTimer = new Timer(this::printStatus);
    private final String origin;                  // where the exercise objects come from, for messages
    private final String hooksDescription;
    private volatile boolean stopping;
    private volatile Thread loopThread;

    /** With the exercise objects the config asks for, from the kit on the class path, and the real fd limit. */
    public LoadBalancer(LbConfig config, PrintStream log) throws IOException {
        this(config, kitHooks(config), OpenFiles.raiseSoftToHard(), log);
    }

    private static Supplier<Hooks> kitHooks(LbConfig config) {
        ExerciseKit kit = ExerciseKit.find();
        return () -> Hooks.of(config.exercises(), kit);
    }

    /**
     * @param hooks the exercise seams (see {@link Hooks#of}); with {@code --threads} above 1 every loop
     *              gets these same objects, so they must be safe to share (else pass a supplier)
     * @param files the open-files limit in force (the pool's default size follows it)
     */
    public LoadBalancer(LbConfig config, Hooks hooks, OpenFiles.Limit files, PrintStream log) throws IOException {
        this(config, () -> hooks, files, log);
    }

    /** @param hooksPerLoop called once for each loop, so that each gets exercise objects of its own */
    public LoadBalancer(LbConfig config, Supplier<Hooks> hooksPerLoop, OpenFiles.Limit files, PrintStream log)
            throws IOException {
        this(new LoopGroup(config, log, LoopGroup.resolve(config.upstreams()), hooksPerLoop), 0, files);
        // All start, or none stays open. Before the start-up line: a signal sent once it is
        // printed must find the handlers.
        group.addFollowers(i -> new LoadBalancer(group, i, files), () -> {
            if (shutdown != null) shutdown.install(loop::wakeup);
        });
        group.announce(files, hooksDescription, origin);
        if (forwarder.splicer() != null) log.println(forwarder.splicer().describe());
    }

    /** Loop {@code index} of {@code group}: its own transport, pool, listener and exercise objects. */
    private LoadBalancer(LoopGroup group, int index, OpenFiles.Limit files) throws IOException {
        this.group = group;
        this.index = index;
        this.config = group.config;
        this.log = group.log;
        this.rateLimited = new RateLimitedLog(log);
        Hooks hooks = group.hooks.get();
        this.shutdown = index == 0 ? hooks.shutdown() : null;   // loop 0's drives the drain of all (LoopGroup)
        this.idle = hooks.idle();
        this.drain = new DrainPort(this);
        this.origin = hooks.origin();
        this.hooksDescription = hooks.description();
        upstreams = group.upstreams;
        Transport transport = Transport.open(config.eventBackend(), 1024);
        loop = transport.loop();
        sockets = transport.sockets();
        int listenFd = -1;
        try {
            if (hooks.readPolicy().registrationFlags() != 0 && !loop.supportsEdgeTriggered()) {
                throw new IllegalArgumentException("--edge-triggered needs the epoll, io_uring or kqueue backend, not "
                        + loop.backendName());
            }
            loop.setFailureLog(log);
            int capacity = Splicer.poolCapacity(config, files.soft(), loop.maxFd());   // --max-conns, or what fds allow
            pool = index == 0 ? new ConnectionPool(capacity, this, hooks.idle() != null)
                    : new ConnectionPool(group.leader().pool(), this);
            hooks.readPolicy().attach(loop);
            if (idle != null) idle.attach(loop);
            forwarder = new Forwarder(this, loop, sockets, stats, hooks,
                    Splicer.open(this, config, hooks, sockets, stats, capacity));   // null unless --splice
            connector = new UpstreamConnector(this, loop, sockets, upstreams, group.algorithm, forwarder, stats,
                    rateLimited, log, config);
            listenFd = group.listen(sockets, index);
            port = sockets.localPort(listenFd);
            if (index == 0) group.port = port;
            listener = new Listener(this, loop, sockets, listenFd, pool, connector, stats, rateLimited,
                    hooks.readPolicy());
            listener.start();
            loopThread = Thread.currentThread();      // until run() starts on its own thread
            group.loops[index] = this;
        } catch (IOException | RuntimeException e) {
            LoopGroup.abandon(e, loop, sockets, listenFd);   // a failed start must not keep the port
            throw e;
        }
    }

    /** Fds kept for stdio, the loop, the listener and the JVM's own files. */
    public static final int FDS_KEPT_FREE = 32;

    /**
     * What the fds allow (two per proxied connection, and none above the loop's
     * highest watchable fd: select's FD_SETSIZE) and what half the heap can hold.
     */
    // snippet-start default-pool-size
    public static int defaultPoolSize(long openFiles, int maxFd, long maxHeapBytes) {
        long fds = Math.min(openFiles, (long) maxFd + 1) - FDS_KEPT_FREE;
        long byFds = Math.max(1, fds / 2);
        long byHeap = Math.max(1, maxHeapBytes / 2 / ConnectionPool.HEAP_PER_CONNECTION);
        return (int) Math.min(Integer.MAX_VALUE, Math.min(byFds, byHeap));
    }
    // snippet-end default-pool-size

    /** Runs until {@link #stop()} (or a drain's end), then closes everything; other loops on threads of their own. */
    public void run() throws IOException {
        group.startFollowers();
        try {
            runLoop();
        } finally {
            group.stopAndJoinFollowers();
        }
    }

    /** This loop, on the calling thread. */
    void runLoop() throws IOException {
        loopThread = Thread.currentThread();
        if (config.verbose() && index == 0) loop.schedule(statusTimer, config.statusIntervalMillis(), TimeUnit.MILLISECONDS);
        try {
            while (!stopping) {
                int active = stats.activeConnections;
                boolean listening = listener.isOpen();
                loop.runOnce(-1);         // the timers and wakeup() decide how long
                if (shutdown != null) shutdown.onTurn(drain);
                else if (index > 0 && group.draining()) group.followerTurn(this, listening, active);
            }
        } finally {
            if (index > 0) group.followerEnded(listener.isOpen());
            shutdownNow();
        }
    }

    private void printStatus() {
        log.println(statusLine());
        loop.schedule(statusTimer, config.statusIntervalMillis(), TimeUnit.MILLISECONDS);
    }

    /** Ends {@link #run()} (every loop) from any thread. */
    public void stop() { group.stopAll(); }

    void stopLoop() {
        stopping = true;
        loop.wakeup();
    }

    /** Closes every loop that has not run (after {@link #run()} they are closed already). */
    @Override
    public void close() throws IOException {
        for (LoadBalancer lb : group.loops) if (lb != null && !lb.loop.isClosed()) lb.shutdownNow();
    }

    private void shutdownNow() throws IOException {
        if (loop.isClosed()) return;
        for (int i = 0; i < pool.made(); i++) {
            Connection c = pool.get(i);
            if (c.clientFd >= 0) release(c);
        }
        if (forwarder.splicer() != null) forwarder.splicer().close();
        listener.close();
        loop.close();
    }

    /** Closes both sides of a connection and puts it back in the pool. Safe to call twice. */
    // snippet-start release
    void release(Connection c) {
        if (c.clientFd < 0) return;                       // released already
        loop.cancel(c.connectTimer);
        if (c.state == Connection.OPEN) {
            upstreams[c.upstream].disconnected();
            if (idle != null) {
                try {
                    idle.closed(c);
                } catch (RuntimeException e) {            // a stub or a bug: the connection still closes
                    hookFailed(null, e);
                }
            }
        }
        closeFd(c.clientFd);
        closeFd(c.backendFd);
        try {
            c.reset();                                    // its write queues give back what they hold
        } catch (RuntimeException e) {                    // an exercise's clear() that throws: the slot still goes back
            rateLimited.log(RateLimitedLog.Kind.FAILURE, "high_perf_lb: resetting a connection: " + e);
        }
        pool.giveBack(c);
        stats.activeConnections--;
    }
    // snippet-end release

    /** A handler of this connection threw: it goes (the loop has reported the exception). */
    void handlerFailed(Connection c, Exception cause) {
        String todo = Hooks.notDoneYet(cause, origin);
        if (todo != null) rateLimited.log(RateLimitedLog.Kind.FAILURE, todo);
        release(c);
    }

    /** An exercise's hook threw outside the loop's reach (in a pump, in release): report it, close this one. */
    void hookFailed(Connection c, RuntimeException cause) {
        if (rateLimited.due(RateLimitedLog.Kind.FAILURE)) {
            String todo = Hooks.notDoneYet(cause, origin);
            log.println(todo != null ? todo : "high_perf_lb: an exercise hook threw " + cause + "; closing its connection");
        }
        if (c != null) release(c);
    }

    /** Both sides are connected (exercise 5 starts watching it). */
    void opened(Connection c) {
        if (idle != null) idle.opened(c);
    }

    /** Bytes moved on it: a read or a write that moved bytes. */
    void traffic(Connection c) {
        if (idle != null) idle.traffic(c);
    }

    void idleTimerFired(Connection c) {
        if (c.state == Connection.OPEN) idle.timerFired(c);   // a timer left armed on a closed slot does nothing
    }

    void closeIdle(Connection c) {
        if (c.state != Connection.OPEN) return;
        stats.idleClosed++;
        release(c);
    }

    void outOfBufferMemory(OutOfMemoryError e) {
        rateLimited.log(RateLimitedLog.Kind.MEMORY, "high_perf_lb: out of buffer memory (" + e.getMessage()
                + "); closing connections that cannot be buffered");
    }

    /** Unwatches (if watched) and closes an fd. */
    void closeFd(int fd) {
        if (fd < 0) return;
        try {
            if (loop.isRegistered(fd)) loop.remove(fd);
        } catch (IOException e) {
            rateLimited.log(RateLimitedLog.Kind.CLOSE, "high_perf_lb: " + e.getMessage());
        }
        closeQuietly(fd);
    }

    void closeQuietly(int fd) {
        try {
            sockets.close(fd);
        } catch (IOException e) {
            rateLimited.log(RateLimitedLog.Kind.CLOSE, "high_perf_lb: " + e.getMessage());
        }
    }

    PrintStream log() { return log; }

    EventLoop loop() { return loop; }

    Listener listener() { return listener; }

    Stats stats() { return stats; }

    Thread loopThread() { return loopThread; }

    /** Ends {@link #run()} of every loop after this turn (exercise 6's drain is over). */
    void exit(String why) {
        log.println("high_perf_lb: " + why);
        group.stopAll();
    }

    LoopGroup group() { return group; }

    Forwarder forwarder() { return forwarder; }

    UpstreamConnector connector() { return connector; }

    public int port() { return port; }

    public String backendName() { return loop.backendName(); }

    /** Loop 0's pool; its capacity and counts of slots in use and free are those of every loop together. */
    public ConnectionPool pool() { return pool; }

    /** Event loops (--threads). */
    public int threads() { return group.size(); }

    /** Clients each loop has taken so far, in loop order: how the kernel spread them. */
    public long[] clientsPerLoop() { return group.acceptedPerLoop(); }

    // Summed over every loop (read from other threads: a moment stale at worst).
    public int activeConnections() { return group.activeConnections(); }
    public List<Upstream> upstreams() { return List.of(upstreams); }
    public long rejectedPoolFull() { return group.sum().rejectedPoolFull; }
    /** Bytes one flow's write buffer held at most (exercise 4: at most the high watermark plus one read). */
    public int maxBuffered() { return group.sum().maxBuffered; }
    public long bytesToClients() { return group.sum().bytesToClients; }
    public long bytesToBackends() { return group.sum().bytesToBackends; }
    public int poolFree() { return pool.freeCount(); }
    public int poolCapacity() { return pool.size(); }
    /** Connections closed for being idle (exercise 5). */
    public long idleClosed() { return group.sum().idleClosed; }
    /** How many times the loops waited in the kernel (exercise 3 compares modes by it). */
    public long loopWaits() { return group.loopWaits(); }
    /** Handler calls that threw: each cost one connection, never the balancer. */
    public long handlerFailures() { return group.handlerFailures(); }
    public String statusLine() { return group.statusLine(); }
}
