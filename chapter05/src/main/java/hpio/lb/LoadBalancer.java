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
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The chapter's {@code high_perf_lb}: one thread, one event loop, any backend. It
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
public final class LoadBalancer implements AutoCloseable {
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
    private volatile boolean stopping;
    private volatile Thread loopThread;

    /** With the exercise objects the config asks for, from the kit on the class path, and the real fd limit. */
    public LoadBalancer(LbConfig config, PrintStream log) throws IOException {
        this(config, Hooks.of(config.exercises(), ExerciseKit.find()), OpenFiles.raiseSoftToHard(), log);
    }

    /**
     * @param hooks the exercise seams (see {@link Hooks#of})
     * @param files the open-files limit in force (the pool's default size follows it)
     */
    public LoadBalancer(LbConfig config, Hooks hooks, OpenFiles.Limit files, PrintStream log) throws IOException {
        this.config = config;
        this.log = log;
        this.rateLimited = new RateLimitedLog(log);
        this.shutdown = hooks.shutdown();
        this.idle = hooks.idle();
        this.drain = new DrainPort(this);
        this.origin = hooks.origin();
        upstreams = resolve(config.upstreams());
        Algorithm algorithm = Algorithm.of(config.algorithm(), upstreams.length);

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
            int capacity = config.maxConnections() > 0 ? config.maxConnections()
                    : defaultPoolSize(files.soft(), loop.maxFd(), Runtime.getRuntime().maxMemory());
            pool = new ConnectionPool(capacity, this, hooks.idle() != null);
            hooks.readPolicy().attach(loop);
            if (idle != null) idle.attach(loop);
            forwarder = new Forwarder(this, loop, sockets, stats, hooks);
            connector = new UpstreamConnector(this, loop, sockets, upstreams, algorithm, forwarder, stats,
                    rateLimited, log, config);
            listenFd = sockets.listen(new InetSocketAddress(config.bindAddress(), config.port()), 4096);
            port = sockets.localPort(listenFd);
            listener = new Listener(this, loop, sockets, listenFd, pool, connector, stats, rateLimited,
                    hooks.readPolicy());
            listener.start();
            // Before the start-up line: a signal sent once it is printed must find the handlers.
            if (shutdown != null) shutdown.install(loop::wakeup);
            loopThread = Thread.currentThread();      // until run() starts on its own thread
            log.printf("high_perf_lb: listening on %s:%d with %s, %s over %d backend(s), pool of up to %d"
                            + " connections, made as needed (%s)%n",
                    config.bindAddress(), port, loop.backendName(), algorithm.name(), upstreams.length,
                    pool.capacity(), files.describe());
            if (config.bindAddress().equals("127.0.0.1")) {
                log.println("high_perf_lb: loopback only; use --bind 0.0.0.0 to listen on all interfaces");
            }
            if (!hooks.description().isEmpty()) {
                log.println("high_perf_lb: exercises on: " + hooks.description() + " (classes from "
                        + hooks.origin() + "/)");
            }
        } catch (IOException | RuntimeException e) {
            // Each step on its own: one that fails must not leave the port bound or hide e.
            if (listenFd >= 0) {
                try {
                    if (loop.isRegistered(listenFd)) loop.remove(listenFd);
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                try {
                    sockets.close(listenFd);         // a failed start must not keep the port
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            try {
                loop.close();
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static Upstream[] resolve(List<LbConfig.UpstreamSpec> specs) throws IOException {
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

    // ---------------------------------------------------------------- running

    /** Runs until {@link #stop()} (or, draining, until the last connection ends); then closes everything. */
    public void run() throws IOException {
        loopThread = Thread.currentThread();
        if (config.verbose()) loop.schedule(statusTimer, config.statusIntervalMillis(), TimeUnit.MILLISECONDS);
        try {
            while (!stopping) {
                loop.runOnce(-1);         // the timers and wakeup() decide how long
                if (shutdown != null) shutdown.onTurn(drain);
            }
        } finally {
            shutdownNow();
        }
    }

    private void printStatus() {
        log.println(statusLine());
        loop.schedule(statusTimer, config.statusIntervalMillis(), TimeUnit.MILLISECONDS);
    }

    /** Ends {@link #run()} from any thread. */
    public void stop() {
        stopping = true;
        loop.wakeup();
    }

    @Override
    public void close() throws IOException {
        if (!loop.isClosed()) shutdownNow();
    }

    private void shutdownNow() throws IOException {
        if (loop.isClosed()) return;
        for (int i = 0; i < pool.made(); i++) {
            Connection c = pool.get(i);
            if (c.clientFd >= 0) release(c);
        }
        listener.close();
        loop.close();
    }

    // ---------------------------------------------------------------- closing

    /** Closes both sides of a connection and puts it back in the pool. Safe to call twice. */
    // snippet-start release
    void release(Connection c) {
        if (c.clientFd < 0) return;                       // released already
        loop.cancel(c.connectTimer);
        if (c.state == Connection.OPEN) {
            upstreams[c.upstream].active--;
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

    // ---------------------------------------------------------------- the parts, and reporting

    PrintStream log() { return log; }

    EventLoop loop() { return loop; }

    Listener listener() { return listener; }

    Stats stats() { return stats; }

    Thread loopThread() { return loopThread; }

    /** Ends {@link #run()} after this turn (exercise 6's drain is over). */
    void exit(String why) {
        log.println("high_perf_lb: " + why);
        stopping = true;
    }

    Forwarder forwarder() { return forwarder; }

    UpstreamConnector connector() { return connector; }

    public int port() { return port; }

    public String backendName() { return loop.backendName(); }

    public ConnectionPool pool() { return pool; }

    public int activeConnections() { return stats.activeConnections; }

    public List<Upstream> upstreams() { return List.of(upstreams); }

    public long rejectedPoolFull() { return stats.rejectedPoolFull; }

    /** Bytes one flow's write buffer held at most (exercise 4: at most the high watermark plus one read). */
    public int maxBuffered() { return stats.maxBuffered; }

    /** Connections closed for being idle (exercise 5). */
    public long idleClosed() { return stats.idleClosed; }

    /** How many times the loop waited in the kernel (exercise 3 compares modes by it). */
    public long loopWaits() { return loop.waits(); }

    /** Handler calls that threw: each cost one connection, never the balancer. */
    public long handlerFailures() { return loop.failures(); }

    public String statusLine() {
        return stats.statusLine(upstreams, pool, loop.failures());
    }
}
