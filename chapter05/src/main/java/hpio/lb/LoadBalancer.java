package hpio.lb;

import static hpio.loop.Events.ERROR;
import static hpio.loop.Events.HUP;
import static hpio.loop.Events.READ;
import static hpio.loop.Events.WRITE;

import hpio.lb.hooks.Acceptor;
import hpio.lb.hooks.ExerciseClasses;
import hpio.lb.hooks.IdleNode;
import hpio.lb.hooks.IdleTracker;
import hpio.lb.hooks.OutboundBuffer;
import hpio.lb.hooks.Pump;
import hpio.lb.hooks.ReadPolicy;
import hpio.lb.hooks.ShutdownControl;
import hpio.loop.EventLoop;
import hpio.loop.EventLoops;
import hpio.nativeio.Errno;
import hpio.nativeio.NativeIOException;
import hpio.nativeio.Posix;
import hpio.net.IoBuffer;
import hpio.net.OpenFiles;
import hpio.net.PeerAddress;
import hpio.net.Sockets;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.invoke.MethodHandle;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The chapter's {@code high_perf_lb}: one thread, one event loop, any backend. It
 * is written once against {@link EventLoop} and {@link Sockets}; nothing here knows
 * whether epoll, select or nio is underneath.
 *
 * <pre>
 *  client --accept--&gt; [listen fd]                 pick upstream, non-blocking connect
 *  client fd &lt;==== toClient ==== backend fd  &lt;--- upstream
 *  client fd ===== toBackend ===&gt; backend fd  ---&gt; upstream
 * </pre>
 */
public final class LoadBalancer implements AutoCloseable, Acceptor {
    static final int BUFFER_SIZE = 64 * 1024;
    private static final long ACCEPT_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final int FDS_KEPT_FREE = 32;             // stdio, the loop, the listener, the JVM's own

    private final LbConfig config;
    private final PrintStream log;
    private final EventLoop loop;
    private final Sockets sockets;
    private final Upstream[] upstreams;
    private final Algorithm algorithm;
    private final ConnectionPool pool;
    private final int listenFd;
    private final int port;
    private final long connectTimeoutNanos;
    private final long failTimeoutNanos;

    // The exercises' seams: the baseline unless a flag swapped a class in.
    private final ReadPolicy readPolicy;
    private final int edge;                          // 0, or Events.EDGE with --edge-triggered
    private final MethodHandle newWriteBuffer;       // null: baseline short-write handling
    private final int writeBufferHigh;
    private final IdleTracker idle;                  // null: connections never time out
    private final ShutdownControl shutdown;          // null: a signal stops at once

    private final IoBuffer readBuffer = IoBuffer.allocate(BUFFER_SIZE);   // shared by every connection
    private final ArrayDeque<IoBuffer> spareBuffers = new ArrayDeque<>();
    private final PeerAddress peer = new PeerAddress();
    private final RateLimitedLog rateLimited;

    private Connection connectingHead;      // connects in progress, oldest (earliest deadline) first
    private Connection connectingTail;
    private long acceptPausedUntil;         // 0 when accepting
    private long nextStatusNanos;
    private volatile boolean stopping;
    private volatile int activeConnections;

    // counters for -v and tests
    private long bytesToBackends;
    private long bytesToClients;
    private volatile long rejectedPoolFull;   // volatile: read by tests on other threads
    private long rejectedNoUpstream;
    private long acceptErrors;
    private volatile long idleClosed;
    private volatile int maxBuffered;                // most bytes one flow's write buffer held
    private boolean listening = true;

    public LoadBalancer(LbConfig config, PrintStream log) throws IOException {
        this.config = config;
        this.log = log;
        this.rateLimited = new RateLimitedLog(log);
        OpenFiles.Limit files = OpenFiles.raiseSoftToHard();

        List<LbConfig.UpstreamSpec> specs = config.upstreams();
        upstreams = new Upstream[specs.size()];
        for (int i = 0; i < upstreams.length; i++) {
            LbConfig.UpstreamSpec s = specs.get(i);
            upstreams[i] = new Upstream(i, s.host(), s.port(), s.weight());
            if (upstreams[i].address.isUnresolved()) throw new IOException("cannot resolve backend host " + s.host());
            if (!(upstreams[i].address.getAddress() instanceof java.net.Inet4Address)) {
                throw new IOException("backend " + upstreams[i].name() + " is not an IPv4 address; only IPv4 is supported");
            }
        }
        algorithm = Algorithm.of(config.algorithm(), upstreams.length);
        connectTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.connectTimeoutMillis());
        failTimeoutNanos = TimeUnit.SECONDS.toNanos(config.failTimeoutSeconds());

        LbConfig.Exercises ex = config.exercises();
        readPolicy = ex.edgeTriggered()
                ? ExerciseClasses.create(ExerciseClasses.constructor(ExerciseClasses.EDGE_TRIGGERED, ReadPolicy.class),
                        ReadPolicy.class)
                : ReadPolicy.LEVEL_TRIGGERED;
        edge = readPolicy.registrationFlags();
        writeBufferHigh = ex.writeBufferHighWatermark();
        newWriteBuffer = writeBufferHigh > 0
                ? ExerciseClasses.constructor(ExerciseClasses.WRITE_BUFFER, OutboundBuffer.class, int.class, int.class)
                : null;
        idle = ex.idleTimeoutMillis() > 0
                ? ExerciseClasses.create(ExerciseClasses.constructor(ExerciseClasses.IDLE_TIMEOUTS, IdleTracker.class,
                        long.class), IdleTracker.class, TimeUnit.MILLISECONDS.toNanos(ex.idleTimeoutMillis()))
                : null;
        shutdown = ex.drainTimeoutSeconds() >= 0
                ? ExerciseClasses.create(ExerciseClasses.constructor(ExerciseClasses.GRACEFUL_SHUTDOWN,
                        ShutdownControl.class, long.class), ShutdownControl.class,
                        TimeUnit.SECONDS.toNanos(ex.drainTimeoutSeconds()))
                : null;

        hpio.transport.Transport transport = hpio.transport.Transport.open(config.eventBackend(), 1024);
        loop = transport.loop();
        sockets = transport.sockets();
        int opened = -1;
        try {
            int poolSize = config.maxConnections() > 0 ? config.maxConnections() : defaultPoolSize(files);
            pool = new ConnectionPool(poolSize, this);
            InetSocketAddress local = new InetSocketAddress(config.bindAddress(), config.port());
            listenFd = opened = sockets.listen(local, 4096);
            port = sockets.localPort(listenFd);
            if (edge != 0 && !loop.backendName().equals("epoll") && !loop.backendName().equals("kqueue")) {
                throw new IllegalArgumentException("--edge-triggered needs the epoll or kqueue backend, not "
                        + loop.backendName());
            }
            // snippet-start register-listener
            loop.add(listenFd, READ | edge, (fd, events) -> readPolicy.onAcceptable(this));
            // snippet-end register-listener
            // Before the start-up line: a signal sent once it is printed must find the handlers.
            if (shutdown != null) shutdown.install(loop::wakeup);
            log.printf("high_perf_lb: listening on %s:%d with %s, %s over %d backend(s), pool of %d connections"
                            + " (open files %d of hard limit %d)%n",
                    config.bindAddress(), port, loop.backendName(), algorithm.name(), upstreams.length,
                    pool.size(), files.soft(), files.hard());
            if (config.bindAddress().equals("127.0.0.1")) {
                log.println("high_perf_lb: loopback only; use --bind 0.0.0.0 to listen on all interfaces");
            }
            String switchedOn = exercisesOn(ex);
            if (!switchedOn.isEmpty()) {
                log.println("high_perf_lb: exercises on: " + switchedOn + " (classes from "
                        + ExerciseClasses.source() + "/)");
            }
        } catch (IOException | RuntimeException e) {
            if (opened >= 0) {
                if (loop.isRegistered(opened)) loop.remove(opened);
                sockets.close(opened);          // a failed start must not keep the port
            }
            loop.close();
            throw e;
        }
    }

    /** Two fds per proxied connection; select can only ever see fds below FD_SETSIZE. */
    // snippet-start default-pool-size
    private int defaultPoolSize(OpenFiles.Limit files) {
        long fds = Math.min(files.soft(), Integer.MAX_VALUE) - FDS_KEPT_FREE;
        if (loop.backendName().equals("select")) fds = Math.min(fds, Posix.FD_SETSIZE - FDS_KEPT_FREE);
        return (int) Math.max(1, fds / 2);
    }
    // snippet-end default-pool-size

    public int port() { return port; }

    public String backendName() { return loop.backendName(); }

    public ConnectionPool pool() { return pool; }

    public int activeConnections() { return activeConnections; }

    public List<Upstream> upstreams() { return List.of(upstreams); }

    public long rejectedPoolFull() { return rejectedPoolFull; }

    /** Bytes one flow's write buffer held at most (exercise 2's bound: high watermark plus one read). */
    public int maxBuffered() { return maxBuffered; }

    /** Connections closed for being idle (exercise 3). */
    public long idleClosed() { return idleClosed; }

    /** How many times the loop waited in the kernel (exercise 1 compares modes by it). */
    public long loopWaits() { return loop.waits(); }

    /** Runs until {@link #stop()} (or, draining, until the last connection ends); then closes everything. */
    public void run() throws IOException {
        nextStatusNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.statusIntervalMillis());
        try {
            while (!stopping) {
                long now = System.nanoTime();
                expireConnects(now);
                if (idle != null) expireIdle(now);
                resumeAcceptingIfDue(now);
                if (shutdown != null && shutdown.isDraining()) {
                    if (listening) stopListening();
                    if (shutdown.shouldExit(activeConnections, now)) break;
                }
                if (config.verbose() && now - nextStatusNanos >= 0) {
                    log.println(statusLine());
                    nextStatusNanos = now + TimeUnit.MILLISECONDS.toNanos(config.statusIntervalMillis());
                }
                loop.runOnce(waitMillis(now));
            }
        } finally {
            shutdownNow();
        }
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

    /** How long the loop may sleep: until the next deadline of any kind, at most a second. */
    private long waitMillis(long now) {
        long wait = TimeUnit.SECONDS.toNanos(1);
        if (connectingHead != null) wait = Math.min(wait, connectingHead.connectDeadlineNanos - now);
        if (acceptPausedUntil != 0) wait = Math.min(wait, acceptPausedUntil - now);
        if (config.verbose()) wait = Math.min(wait, nextStatusNanos - now);
        if (idle != null) {
            long next = idle.nanosUntilNextExpiry(now);
            if (next >= 0) wait = Math.min(wait, next);
        }
        if (shutdown != null) {
            long next = shutdown.nanosUntilDeadline(now);
            if (next >= 0) wait = Math.min(wait, next);
        }
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(wait + 999_999));   // round up: never wake early
    }

    private void stopListening() {
        listening = false;
        closeFd(listenFd);
        log.println("high_perf_lb: draining: listener closed, " + activeConnections
                + " connection(s) in flight");
    }

    // ---------------------------------------------------------------- accepting

    /** Accepts one client (the {@link ReadPolicy} decides how many per wake-up). */
    @Override
    // snippet-start accept-one
    public boolean acceptOne() {
        if (!listening || acceptPausedUntil != 0) return false;
        int fd;
        try {
            fd = sockets.accept(listenFd, peer);
        } catch (IOException e) {
            // EMFILE/ENFILE: the connection stays in the backlog and the listener
            // stays readable, so retrying now would spin. Pause accepting briefly.
            acceptErrors++;
            rateLimited.log(RateLimitedLog.ACCEPT, "high_perf_lb: accept failed (" + e.getMessage()
                    + "); pausing accepts for 100 ms");
            pauseAccepting();
            return false;
        }
        if (fd == Sockets.AGAIN) return false;
        Connection c = pool.take();
        if (c == null) {
            rejectedPoolFull++;
            if (rateLimited.due(RateLimitedLog.POOL)) {       // checked first: no message built per refusal
                log.println("high_perf_lb: connection pool exhausted (" + pool.size()
                        + " in use): refusing clients; raise --max-conns (" + rejectedPoolFull + " refused so far)");
            }
            closeQuietly(fd);
            return true;
        }
        activeConnections++;
        c.clientFd = fd;
        c.clientIpv4 = peer.ipv4();
        connectToUpstream(c);
        return true;
    }
    // snippet-end accept-one

    private void pauseAccepting() {
        try {
            loop.modify(listenFd, 0);
            acceptPausedUntil = System.nanoTime() + ACCEPT_PAUSE_NANOS;
        } catch (IOException e) {
            log.println("high_perf_lb: cannot pause the listener: " + e.getMessage());
        }
    }

    private void resumeAcceptingIfDue(long now) throws IOException {
        if (acceptPausedUntil != 0 && now - acceptPausedUntil >= 0) {
            acceptPausedUntil = 0;
            if (listening) loop.modify(listenFd, READ | edge);
        }
    }

    // ---------------------------------------------------------------- connecting

    /** Upstreams still allowed for this client: not tried yet, and up (or, if none is up, any not tried). */
    private long candidates(long tried, long now) {
        long all = upstreams.length == 64 ? -1L : (1L << upstreams.length) - 1;
        long up = 0;
        for (Upstream u : upstreams) if (u.isUp(now)) up |= 1L << u.index;
        long untried = all & ~tried;
        // Every one marked down: try them anyway (a refused connect costs little),
        // so service resumes the moment one comes back.
        return (untried & up) != 0 ? untried & up : untried;
    }

    /** Picks an upstream and starts a non-blocking connect; on failure tries the next one; else closes the client. */
    // snippet-start connect-upstream
    private void connectToUpstream(Connection c) {
        long now = System.nanoTime();
        while (true) {
            int i = algorithm.pick(upstreams, c.clientIpv4, candidates(c.triedUpstreams, now));
            if (i < 0) {
                rejectedNoUpstream++;
                rateLimited.log(RateLimitedLog.NO_UPSTREAM, "high_perf_lb: no backend reachable; closing client connections");
                release(c);
                return;
            }
            c.triedUpstreams |= 1L << i;
            c.upstream = i;
            try {
                c.backendFd = sockets.connect(upstreams[i].address);
            } catch (IOException e) {
                if (!isUpstreamFault(e)) {         // EMFILE, EADDRNOTAVAIL: ours, not the backend's
                    rateLimited.log(RateLimitedLog.CONNECT, "high_perf_lb: cannot connect to a backend: "
                            + e.getMessage());
                    release(c);
                    return;
                }
                markFailed(upstreams[i], e, now);  // refused by connect() itself (usually finishConnect says so)
                continue;
            }
            try {
                loop.add(c.backendFd, WRITE, c);   // writable = the connect finished, either way
            } catch (IOException e) {              // e.g. select's FD_SETSIZE: not the upstream's fault
                rateLimited.log(RateLimitedLog.REGISTER, "high_perf_lb: cannot watch a new connection: " + e.getMessage());
                release(c);
                return;
            }
            c.state = Connection.CONNECTING;
            c.connectDeadlineNanos = now + connectTimeoutNanos;
            appendConnecting(c);
            return;
        }
    }
    // snippet-end connect-upstream

    // snippet-start on-connect-progress
    private void onConnectProgress(Connection c) {
        try {
            if (!sockets.finishConnect(c.backendFd)) return;       // not yet
        } catch (IOException e) {
            retryElsewhere(c, e);
            return;
        }
        unlinkConnecting(c);
        c.state = Connection.OPEN;
        Upstream u = upstreams[c.upstream];
        u.active++;
        u.served++;
        try {
            loop.modify(c.backendFd, READ | edge);
            loop.add(c.clientFd, READ | edge, c);   // only now: until here there was nowhere to send its bytes
        } catch (IOException e) {                     // e.g. select's FD_SETSIZE, epoll's max_user_watches
            rateLimited.log(RateLimitedLog.REGISTER, "high_perf_lb: cannot watch a connection: " + e.getMessage());
            release(c);
            return;
        }
        if (idle != null) idle.touch(c, System.nanoTime());
    }
    // snippet-end on-connect-progress

    private void retryElsewhere(Connection c, IOException why) {
        unlinkConnecting(c);
        markFailed(upstreams[c.upstream], why, System.nanoTime());
        closeFd(c.backendFd);
        c.backendFd = -1;
        c.state = Connection.FREE;
        connectToUpstream(c);
    }

    /** Refused, unreachable or timed out: the backend's fault. Out of fds or ports: ours. */
    private static boolean isUpstreamFault(IOException e) {
        if (!(e instanceof NativeIOException n)) return true;     // nio: ConnectException and the like
        int errno = n.errno();
        return errno == Errno.ECONNREFUSED || errno == Errno.ETIMEDOUT || errno == Errno.ENETUNREACH
                || errno == Errno.EHOSTUNREACH || errno == Errno.ECONNRESET;
    }

    private void markFailed(Upstream u, IOException why, long now) {
        u.failures++;
        boolean wasUp = u.isUp(now);
        u.downUntilNanos = now + failTimeoutNanos;
        if (wasUp) {
            log.printf("high_perf_lb: backend %s failed (%s); skipping it for %d s%n",
                    u.name(), why.getMessage(), config.failTimeoutSeconds());
        }
    }

    private void expireConnects(long now) {
        while (connectingHead != null && now - connectingHead.connectDeadlineNanos >= 0) {
            Connection c = connectingHead;
            retryElsewhere(c, new IOException("connect timed out after " + config.connectTimeoutMillis() + " ms"));
        }
    }

    private void expireIdle(long now) {
        IdleNode n;
        while ((n = idle.pollExpired(now)) != null) {
            idleClosed++;
            release((Connection) n);
        }
    }

    private void appendConnecting(Connection c) {
        c.prevConnecting = connectingTail;
        c.nextConnecting = null;
        if (connectingTail != null) connectingTail.nextConnecting = c;
        else connectingHead = c;
        connectingTail = c;
    }

    private void unlinkConnecting(Connection c) {
        if (c.prevConnecting != null) c.prevConnecting.nextConnecting = c.nextConnecting;
        else if (connectingHead == c) connectingHead = c.nextConnecting;
        if (c.nextConnecting != null) c.nextConnecting.prevConnecting = c.prevConnecting;
        else if (connectingTail == c) connectingTail = c.prevConnecting;
        c.prevConnecting = c.nextConnecting = null;
    }

    // ---------------------------------------------------------------- forwarding

    // snippet-start on-connection-event
    void onConnectionEvent(Connection c, int fd, int events) throws IOException {
        if (c.state == Connection.CONNECTING) {
            if (fd == c.backendFd) onConnectProgress(c);
            return;
        }
        try {
            boolean fromClient = fd == c.clientFd;
            Connection.Flow in = fromClient ? c.toBackend : c.toClient;   // bytes read from fd
            Connection.Flow out = fromClient ? c.toClient : c.toBackend;  // bytes written to fd
            if ((events & ERROR) != 0) {
                // A reset may follow bytes still unread: read them (the read then
                // reports the error itself) rather than drop a reply's last part.
                if (!in.wantsRead()) {
                    release(c);
                    return;
                }
                events |= READ;
            }
            if (idle != null) idle.touch(c, System.nanoTime());
            if ((events & WRITE) != 0 && out.hasOutput()) flush(out);
            // HUP: the peer sent FIN; the data before it is still to be read, then EOF.
            if ((events & (READ | HUP)) != 0 && in.wantsRead()) readPolicy.onReadable(in);
            if (c.toBackend.done && c.toClient.done) {
                release(c);
            } else {
                updateInterest(c);
            }
        } catch (IOException e) {
            release(c);       // ECONNRESET, EPIPE, ...: close both and free everything
        } catch (OutOfMemoryError e) {
            // Off-heap buffers are budgeted (-XX:MaxDirectMemorySize): when a short
            // write's leftover finds none left, this connection goes, not the balancer.
            rateLimited.log(RateLimitedLog.MEMORY, "high_perf_lb: out of buffer memory (" + e.getMessage()
                    + "); closing connections that cannot be buffered");
            release(c);
        }
    }
    // snippet-end on-connection-event

    /** One read from the flow's source, passed straight on to its destination ({@link Pump#pumpOnce()}). */
    // snippet-start pump-once
    int pumpOnce(Connection.Flow flow) throws IOException {
        if (flow.sourceEof) return Pump.EOF;
        if (flow.paused) return Pump.PAUSED;
        int n = sockets.read(flow.sourceFd(), readBuffer, 0, BUFFER_SIZE);
        if (n == Sockets.AGAIN) return Pump.AGAIN;
        if (n == 0) {
            flow.sourceEof = true;
            passOnEof(flow);
            return Pump.EOF;
        }
        if (flow.fromClient) bytesToBackends += n; else bytesToClients += n;
        int dst = flow.destinationFd();
        // Never write past bytes already waiting: that would reorder the stream.
        int written = flow.hasOutput() ? 0 : sockets.write(dst, readBuffer, 0, n);
        if (written == Sockets.AGAIN) written = 0;
        if (written == n) return n;
        if (newWriteBuffer != null) {
            OutboundBuffer b = flow.buffer;
            if (b == null) {
                b = flow.buffer = ExerciseClasses.create(newWriteBuffer, OutboundBuffer.class,
                        writeBufferHigh, writeBufferHigh / 2);
            }
            b.append(readBuffer, written, n - written);
            if (b.size() > maxBuffered) maxBuffered = b.size();
            if (b.aboveHighWatermark()) flow.paused = true;
        } else {
            // Short write: the shared buffer is about to be reused, so the rest moves
            // to a spare buffer; reads from the source pause until the destination
            // takes it (WRITE).
            IoBuffer spare = takeSpare();
            readBuffer.copyTo(written, spare, 0, n - written);
            flow.pending = spare;
            flow.pendingOffset = 0;
            flow.pendingLength = n - written;
            flow.paused = true;
        }
        return flow.paused ? Pump.PAUSED : n;
    }
    // snippet-end pump-once

    /** The destination is writable: send what waits; un-pause the source when there is room again. */
    // snippet-start flush
    private void flush(Connection.Flow flow) throws IOException {
        int dst = flow.destinationFd();
        boolean wasPaused = flow.paused;
        if (flow.buffer != null && flow.buffer.size() > 0) {
            flow.buffer.writeTo(sockets, dst);
            if (flow.buffer.atOrBelowLowWatermark()) flow.paused = false;
        } else if (flow.pendingLength > 0) {
            int written = sockets.write(dst, flow.pending, flow.pendingOffset, flow.pendingLength);
            if (written == Sockets.AGAIN) return;
            flow.pendingOffset += written;
            flow.pendingLength -= written;
            if (flow.pendingLength == 0) {
                giveBackSpare(flow.pending);
                flow.pending = null;
                flow.paused = false;
            }
        }
        if (!flow.hasOutput()) passOnEof(flow);
        // Un-paused: read now. Edge-triggered, the source will not be announced
        // again for bytes that arrived while we were not reading.
        if (wasPaused && flow.wantsRead()) readPolicy.onReadable(flow);
    }
    // snippet-end flush

    /** Half-close: once the source's EOF is reached and everything before it delivered, send FIN on. */
    private void passOnEof(Connection.Flow flow) throws IOException {
        if (flow.sourceEof && !flow.hasOutput() && !flow.done) {
            flow.done = true;
            sockets.shutdownOutput(flow.destinationFd());
        }
    }

    /** READ while the flow out of an fd wants bytes; WRITE while bytes wait to go into it. */
    // snippet-start update-interest
    private void updateInterest(Connection c) throws IOException {
        int client = (c.toBackend.wantsRead() ? READ : 0) | (c.toClient.hasOutput() ? WRITE : 0) | edge;
        int backend = (c.toClient.wantsRead() ? READ : 0) | (c.toBackend.hasOutput() ? WRITE : 0) | edge;
        if (loop.interest(c.clientFd) != client) loop.modify(c.clientFd, client);
        if (loop.interest(c.backendFd) != backend) loop.modify(c.backendFd, backend);
    }
    // snippet-end update-interest

    /**
     * A buffer for a short write's leftover. Every spare ever made is kept for
     * reuse: their number is the peak of flows paused at once, and native memory
     * dropped to the GC would only come back whenever a collection happens to run.
     */
    private IoBuffer takeSpare() {
        IoBuffer b = spareBuffers.pollFirst();
        return b != null ? b : IoBuffer.allocate(BUFFER_SIZE);
    }

    private void giveBackSpare(IoBuffer b) {
        spareBuffers.addFirst(b);
    }

    // ---------------------------------------------------------------- closing

    /** Closes both sides of a connection and puts it back in the pool. */
    // snippet-start release
    private void release(Connection c) {
        if (c.state == Connection.CONNECTING) unlinkConnecting(c);
        if (c.state == Connection.OPEN) upstreams[c.upstream].active--;
        if (idle != null) idle.remove(c);
        closeFd(c.clientFd);
        closeFd(c.backendFd);
        if (c.toBackend.pending != null) giveBackSpare(c.toBackend.pending);
        if (c.toClient.pending != null) giveBackSpare(c.toClient.pending);
        c.reset();
        pool.giveBack(c);
        activeConnections--;
    }
    // snippet-end release

    private void closeFd(int fd) {
        if (fd < 0) return;
        try {
            if (loop.isRegistered(fd)) loop.remove(fd);
        } catch (IOException e) {
            rateLimited.log(RateLimitedLog.CLOSE, "high_perf_lb: " + e.getMessage());
        }
        closeQuietly(fd);
    }

    private void closeQuietly(int fd) {
        try {
            sockets.close(fd);
        } catch (IOException e) {
            rateLimited.log(RateLimitedLog.CLOSE, "high_perf_lb: " + e.getMessage());
        }
    }

    private void shutdownNow() throws IOException {
        if (loop.isClosed()) return;
        for (int i = 0; i < pool.size(); i++) {
            Connection c = pool.get(i);
            if (c.state != Connection.FREE || c.clientFd >= 0) release(c);
        }
        if (listening) {
            listening = false;
            closeFd(listenFd);
        }
        loop.close();
    }

    private static String exercisesOn(LbConfig.Exercises ex) {
        StringBuilder b = new StringBuilder();
        if (ex.edgeTriggered()) b.append("edge-triggered (ex1) ");
        if (ex.writeBufferHighWatermark() > 0) {
            b.append("write buffer ").append(ex.writeBufferHighWatermark() / 1024).append(" KiB (ex2) ");
        }
        if (ex.idleTimeoutMillis() > 0) b.append("idle timeout ").append(ex.idleTimeoutMillis()).append(" ms (ex3) ");
        if (ex.drainTimeoutSeconds() >= 0) b.append("graceful shutdown, drain ").append(ex.drainTimeoutSeconds())
                .append(" s (ex4) ");
        return b.toString().trim();
    }

    // ---------------------------------------------------------------- reporting

    public String statusLine() {
        StringBuilder b = new StringBuilder("high_perf_lb: active ").append(activeConnections);
        for (Upstream u : upstreams) {
            b.append(" | ").append(u.name()).append(" active ").append(u.active)
                    .append(" failed ").append(u.failures);
        }
        b.append(" | to backends ").append(human(bytesToBackends))
                .append(" to clients ").append(human(bytesToClients))
                .append(" | pool free ").append(pool.freeCount()).append('/').append(pool.size());
        if (rejectedPoolFull > 0) b.append(" | refused (pool full) ").append(rejectedPoolFull);
        if (rejectedNoUpstream > 0) b.append(" | closed (no backend) ").append(rejectedNoUpstream);
        if (acceptErrors > 0) b.append(" | accept errors ").append(acceptErrors);
        return b.toString();
    }

    private static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1024 * 1024) return String.format("%.1f KiB", bytes / 1024.0);
        if (bytes < 1024L * 1024 * 1024) return String.format("%.1f MiB", bytes / (1024.0 * 1024));
        return String.format("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }

    /** Logs a message of one kind at most once a second, so a flood of refusals cannot flood the log. */
    private static final class RateLimitedLog {
        static final int ACCEPT = 0, POOL = 1, NO_UPSTREAM = 2, REGISTER = 3, CONNECT = 4, CLOSE = 5, MEMORY = 6;
        private final PrintStream out;
        private final long[] lastNanos = new long[7];
        private final boolean[] ever = new boolean[7];

        RateLimitedLog(PrintStream out) { this.out = out; }

        /** True (and the clock of this kind restarted) when a message of this kind may be printed now. */
        boolean due(int kind) {
            long now = System.nanoTime();
            if (ever[kind] && now - lastNanos[kind] < TimeUnit.SECONDS.toNanos(1)) return false;
            ever[kind] = true;
            lastNanos[kind] = now;
            return true;
        }

        void log(int kind, String message) {
            if (due(kind)) out.println(message);
        }
    }
}
