package hpio.lb;

import hpio.loop.Timer;
import hpio.nativeio.Errno;
import hpio.nativeio.IoUringBufRing;
import hpio.nativeio.NativeIOException;
import hpio.nativeio.Posix;
import hpio.net.NativeSockets;
import hpio.net.OpenFiles;
import hpio.proactor.CompletionLoop;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code high_perf_lb -e io_uring-completion}: the balancer as a proactor. No
 * readiness is ever asked for; every step is an operation submitted to io_uring
 * and finished by its completion, many of them per {@code io_uring_enter}:
 *
 * <pre>
 *  ACCEPT (multishot) --fd--&gt; CONNECT + LINK_TIMEOUT --0--&gt; RECV / SEND chains
 *   {@link CompletionAcceptor}        {@link CompletionConnector}             {@link CompletionFlows}
 * </pre>
 *
 * This class owns the parts and their life: start, run, stop, and closing a
 * connection. Closing is where a proactor differs: the connection's operations
 * still in flight own its buffers, so they are cancelled (IORING_OP_ASYNC_CANCEL)
 * and its fds are closed, and its slot given back, only when the last of their
 * CQEs has arrived. One loop, one thread; the exercise hooks, {@code --threads},
 * {@code --splice} and the idle and drain timeouts are the reactor's.
 */
public final class CompletionBalancer implements Balancer, CompletionLoop.Handler {
    static final String NAME = "io_uring-completion";
    /** Bytes of each direction's buffer: the reactor's read size ({@link Forwarder#BUFFER_SIZE}). */
    static final int BUFFER_SIZE = Forwarder.BUFFER_SIZE;
    private static final long STOP_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final LbConfig config;
    private final PrintStream log;
    private final RateLimitedLog rateLimited;
    private final Stats stats = new Stats();
    private final Upstream[] upstreams;
    private final CompletionLoop loop;
    private final CompletionSlots slots;
    private final CompletionAcceptor acceptor;
    private final CompletionConnector connector;
    private final CompletionFlows flows;
    private final IoUringBufRing pool;                   // null where the kernel has no provided-buffer rings
    private String poolRefusal;
    private final MemorySegment cs = Posix.newCallState(Arena.ofAuto());
    private final Timer statusTimer = new Timer(this::printStatus);
    private final int port;
    private volatile long handlerFailures;
    private volatile boolean stopping;
    private boolean closed;
    private boolean listenerClosed;

    CompletionBalancer(LbConfig config, OpenFiles.Limit files, PrintStream log) throws IOException {
        if (config.threads() != 1) throw new IllegalArgumentException(NAME + " runs one loop; --threads is the reactor's");
        if (config.splicePipeBytes() > 0) throw new IllegalArgumentException(NAME + " has no --splice");
        this.config = config;
        this.log = log;
        this.rateLimited = new RateLimitedLog(log);
        this.upstreams = LoopGroup.resolve(config.upstreams());
        Algorithm algorithm = Algorithm.of(config.algorithm(), upstreams.length);
        int capacity = config.maxConnections() > 0 ? config.maxConnections()
                : LoadBalancer.defaultPoolSize(files.soft(), Integer.MAX_VALUE, Runtime.getRuntime().maxMemory());
        loop = new CompletionLoop(1024, 8192);
        int listenFd = -1;
        try {
            NativeSockets sockets = new NativeSockets();
            listenFd = sockets.listen(new InetSocketAddress(config.bindAddress(), config.port()), 4096);
            port = sockets.localPort(listenFd);
            pool = sharedBuffers(loop);
        } catch (IOException | RuntimeException e) {
            if (listenFd >= 0) Posix.close(cs, listenFd);
            loop.close();                                 // unregisters a pool made already; none is in use
            throw e;
        }
        loop.handler(this);
        slots = new CompletionSlots(capacity, BUFFER_SIZE, pool == null);
        flows = new CompletionFlows(this, loop, stats, pool, slots, BUFFER_SIZE);
        connector = new CompletionConnector(this, loop, upstreams, algorithm, stats, rateLimited, log, config);
        acceptor = new CompletionAcceptor(this, loop, slots, stats, rateLimited, listenFd,
                algorithm instanceof Algorithm.IpHash);
        log.printf("high_perf_lb: listening on %s:%d with %s, %s over %d backend(s), pool of up to %d connections,"
                        + " made as needed (%s); %s, ring of %d SQEs%s%n",
                config.bindAddress(), port, NAME, algorithm.name(), upstreams.length, capacity, files.describe(),
                pool != null ? "a shared pool of up to " + pool.count() + " buffers of " + BUFFER_SIZE / 1024 + " KiB"
                        : 2 * BUFFER_SIZE / 1024 + " KiB of buffers per connection (no provided buffers: "
                        + poolRefusal + ")", loop.sqEntries(),
                loop.singleIssuer() ? " (SINGLE_ISSUER, DEFER_TASKRUN)" : "");
        if (config.bindAddress().equals("127.0.0.1")) {
            log.println("high_perf_lb: loopback only; use --bind 0.0.0.0 to listen on all interfaces");
        }
    }

    /**
     * The shared pool of receive buffers, {@code -Dhpio.completion.buffers} of them (512;
     * a test makes it tiny), or null before Linux 5.19 (each slot then has its own).
     */
    private IoUringBufRing sharedBuffers(CompletionLoop loop) {
        int count = Integer.getInteger("hpio.completion.buffers", 512);
        try {
            return loop.provideBuffers(0, count, BUFFER_SIZE, Math.min(count, CompletionFlows.POOL_STEP));
        } catch (NativeIOException e) {
            poolRefusal = e.getMessage() + "; needs Linux 5.19";
            return null;
        }
    }

    // ---------------------------------------------------------------- running

    @Override
    public void run() throws IOException {
        try {
            acceptor.start();
            if (config.verbose()) loop.schedule(statusTimer, config.statusIntervalMillis(), TimeUnit.MILLISECONDS);
            while (!stopping) loop.runOnce(-1);
        } finally {
            shutdownNow();
        }
    }

    @Override
    public void stop() {
        stopping = true;
        loop.wakeup();
    }

    /**
     * Cancels everything in flight and waits for its CQEs (a bounded while): only
     * then are the ring closed and the buffers freed. Should the kernel not answer
     * in time, the buffers are kept, not freed under its feet.
     */
    private void shutdownNow() throws IOException {
        if (closed) return;
        closed = true;
        loop.cancel(statusTimer);
        acceptor.close();
        for (int s = 1; s <= slots.made(); s++) {
            try {
                abort(slots.get(s));
            } catch (IOException | RuntimeException e) {        // the others still close
                rateLimited.log(RateLimitedLog.Kind.CLOSE, "high_perf_lb: closing a connection at stop: " + e);
            }
        }
        long deadline = System.nanoTime() + STOP_WAIT_NANOS;
        while (loop.totalInFlight() > 0 && System.nanoTime() - deadline < 0) {
            loop.runOnce(TimeUnit.MILLISECONDS.toNanos(100));
        }
        int left = loop.totalInFlight();
        loop.close();
        if (!listenerClosed) {                                  // its accept ended, or the ring's close ends it
            listenerClosed = true;
            closeFd(acceptor.fd());
        }
        if (left == 0) {
            slots.free();
            if (pool != null) pool.close();
        } else {
            log.println("high_perf_lb: " + left + " operations still in flight at stop; their buffers are kept");
        }
    }

    @Override
    public void close() throws IOException { shutdownNow(); }

    private void closeListener() {
        if (listenerClosed || loop.inFlight(CompletionAcceptor.SLOT) > 0) return;
        listenerClosed = true;
        closeFd(acceptor.fd());
    }

    // ---------------------------------------------------------------- completions

    @Override
    public void onCompletion(int slot, int op, int res, int cqeFlags) throws IOException {
        if (slot == CompletionAcceptor.SLOT) {
            if (op == CompletionConnection.OP_ACCEPT) acceptor.accepted(res, cqeFlags);
            if (!acceptor.isOpen()) closeListener();
            return;
        }
        CompletionConnection c = slots.get(slot);
        switch (op) {
            case CompletionConnection.OP_CONNECT -> connector.connected(c, res);
            case CompletionConnection.OP_RECV_CLIENT -> flows.received(c, c.up, res, cqeFlags);
            case CompletionConnection.OP_SEND_BACKEND -> flows.sent(c, c.up, res);
            case CompletionConnection.OP_RECV_BACKEND -> flows.received(c, c.down, res, cqeFlags);
            case CompletionConnection.OP_SEND_CLIENT -> flows.sent(c, c.down, res);
            default -> { }                                  // a connect's timeout, a cancel: only counted
        }
        settle(c);
    }

    @Override
    public void onFailure(int slot, Exception cause) {
        handlerFailures++;
        rateLimited.log(RateLimitedLog.Kind.FAILURE, "high_perf_lb: a completion handler threw " + cause
                + "; closing its connection");
        try {
            if (slot == CompletionAcceptor.SLOT) acceptor.failed(); else abort(slots.get(slot));
        } catch (IOException | RuntimeException e) {
            rateLimited.log(RateLimitedLog.Kind.FAILURE, "high_perf_lb: closing after a failure: " + e);
        }
    }

    // ---------------------------------------------------------------- closing

    /** Closes {@code c} now: whatever of it is in flight is cancelled; its slot goes back after their CQEs. */
    void abort(CompletionConnection c) throws IOException {
        if (c.state == CompletionConnection.FREE || c.state == CompletionConnection.CLOSING) return;
        if (c.state == CompletionConnection.OPEN) upstreams[c.upstream].disconnected();
        c.state = CompletionConnection.CLOSING;
        flows.cancelAll(c);
        settle(c);
    }

    /** After each completion: a connection whose both directions are done, and nothing in flight, is released. */
    private void settle(CompletionConnection c) {
        if (c.state == CompletionConnection.OPEN && c.up.done && c.down.done) {
            upstreams[c.upstream].disconnected();
            c.state = CompletionConnection.CLOSING;
        }
        if (c.state == CompletionConnection.CLOSING && loop.inFlight(c.slot) == 0) release(c);
    }

    /** Closes both fds and gives the slot back: only with none of its operations in flight. */
    private void release(CompletionConnection c) {
        if (!loop.retire(c.slot)) throw new IllegalStateException("slot " + c.slot + " has operations in flight");
        closeSoon(c.clientFd);
        closeSoon(c.backendFd);
        flows.released(c);
        c.reset();
        slots.giveBack(c);
        stats.activeConnections--;
    }

    void closeFd(int fd) {
        if (fd >= 0 && Posix.close(cs, fd) < 0) closeFailed("close(fd=" + fd + ")", Posix.errno(cs));
    }

    /**
     * Closes {@code fd} with the next io_uring_enter, as an IORING_OP_CLOSE: no system
     * call of its own (two per connection saved). Nothing of it may be in flight:
     * a pending operation would keep the socket open past the close, unseen.
     */
    void closeSoon(int fd) {
        if (fd < 0) return;
        try {
            loop.closeFd(fd);
        } catch (IOException e) {                           // the SQ takes nothing now: close it here
            closeFd(fd);
        }
    }

    @Override
    public void onCloseFailed(int res) { closeFailed("close (IORING_OP_CLOSE)", -res); }

    void closeFailed(String call, int errno) {
        rateLimited.log(RateLimitedLog.Kind.CLOSE, "high_perf_lb: " + call + " failed: " + Errno.name(errno)
                + " (" + Errno.text(errno) + ")");
    }

    // ---------------------------------------------------------------- the parts, and reporting

    PrintStream log() { return log; }

    CompletionFlows flows() { return flows; }

    CompletionConnector connector() { return connector; }

    CompletionLoop loop() { return loop; }

    CompletionSlots slots() { return slots; }

    /** The shared pool of receive buffers; null where the kernel has none. */
    IoUringBufRing pool() { return pool; }

    private void printStatus() {
        log.println(statusLine());
        loop.schedule(statusTimer, config.statusIntervalMillis(), TimeUnit.MILLISECONDS);
    }

    @Override public int port() { return port; }
    @Override public String backendName() { return NAME; }
    @Override public int activeConnections() { return stats.activeConnections; }
    @Override public int poolFree() { return slots.freeCount(); }
    @Override public int poolCapacity() { return slots.capacity(); }
    @Override public List<Upstream> upstreams() { return List.of(upstreams); }
    @Override public long rejectedPoolFull() { return stats.rejectedPoolFull; }
    @Override public long handlerFailures() { return handlerFailures; }
    @Override public int maxBuffered() { return stats.maxBuffered; }
    @Override public long bytesToClients() { return stats.bytesToClients; }
    @Override public long bytesToBackends() { return stats.bytesToBackends; }

    /** io_uring_enter calls so far: the system calls of the data path. */
    public long enters() { return loop.enters(); }

    @Override
    public String statusLine() {
        StringBuilder b = new StringBuilder("high_perf_lb: active ").append(stats.activeConnections);
        for (Upstream u : upstreams) {
            b.append(" | ").append(u.name()).append(" active ").append(u.active).append(" failed ").append(u.failures());
        }
        b.append(" | to backends ").append(Stats.human(stats.bytesToBackends))
                .append(" to clients ").append(Stats.human(stats.bytesToClients))
                .append(" | pool free ").append(slots.freeCount()).append('/').append(slots.capacity())
                .append(" | io_uring_enter ").append(loop.enters()).append(" completions ").append(loop.completions());
        if (stats.rejectedPoolFull > 0) b.append(" | refused (pool full) ").append(stats.rejectedPoolFull);
        if (stats.rejectedNoUpstream > 0) b.append(" | closed (no backend) ").append(stats.rejectedNoUpstream);
        if (stats.acceptErrors > 0) b.append(" | accept errors ").append(stats.acceptErrors);
        return b.toString();
    }
}
