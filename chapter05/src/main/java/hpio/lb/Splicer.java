package hpio.lb;

import hpio.lb.hooks.Pump;
import hpio.net.Sockets;
import hpio.net.Splice;
import java.io.IOException;
import java.util.ArrayDeque;

/**
 * {@code --splice}: the zero-copy way through a {@link Flow}. The source socket is
 * spliced into a pipe and the pipe into the destination socket; the bytes never
 * reach user space (read and send would copy each of them twice). HAProxy's
 * {@code option splice-auto} is the model.
 *
 * <pre>
 *  source fd --splice--&gt; pipe --splice--&gt; destination fd
 *                         \__ what the destination did not take waits here:
 *                             the source is paused, WRITE watched, as with a leftover
 * </pre>
 *
 * <p>The pipe is the flow's write buffer. Bytes left in it belong to the flow: the
 * source is not read again until they are gone (back-pressure, and no reordering),
 * and a FIN is passed on only after them. A flow holds a pipe only while bytes are
 * in it: an empty pipe goes back to a pool shared by the balancer's connections,
 * so pipes follow the bytes in flight, not the connections open. The pool is
 * bounded, like HAProxy's {@code maxpipes} (a quarter of the connections, two fds
 * a pipe); when it is used up, or fds run out, a read takes the ordinary copying
 * path instead, which is safe because a flow reads only when nothing of it waits
 * anywhere. A pipe closed with bytes in it (its connection went) is closed, never
 * pooled: its bytes belong to nobody.
 */
final class Splicer {
    /** {@link #pumpOnce} had no pipe to use: the caller copies this read instead. */
    static final int COPY = Integer.MIN_VALUE;

    private final LoadBalancer lb;
    private final Splice splice;
    private final Stats stats;
    private final int pipeBytes;                 // asked of F_SETPIPE_SZ
    private final int maxPipes;                  // this loop's
    private final int threads;
    private final ArrayDeque<Splice.Pipe> free = new ArrayDeque<>();
    private int open;                            // pipes open: in the pool or held by a flow
    private long splicedBytes;                   // bytes that came in through a pipe
    private long copiedForWantOfAPipe;           // reads that copied: no pipe to be had

    Splicer(LoadBalancer lb, Splice splice, Stats stats, int pipeBytes, int maxPipes, int threads) {
        this.lb = lb;
        this.splice = splice;
        this.stats = stats;
        this.pipeBytes = pipeBytes;
        this.maxPipes = maxPipes;
        this.threads = threads;
    }

    /**
     * The splicer {@code --splice} asks for, or null without it.
     *
     * @throws IllegalArgumentException with exercise 4's write queue (the pipe is the
     *         flow's write buffer), on nio (no fds) or off Linux
     */
    static Splicer open(LoadBalancer lb, LbConfig config, Hooks hooks, Sockets sockets, Stats stats,
                        int connections) {
        if (config.splicePipeBytes() <= 0) return null;
        if (hooks.writeQueues() != null) {
            throw new IllegalArgumentException("--splice and --write-buffer do not go together: with --splice"
                    + " the pipe is the flow's write buffer");
        }
        // With --threads the loops share one budget of connections, so each loop gets its share of pipes.
        return new Splicer(lb, Splice.open(sockets), stats, config.splicePipeBytes(),
                Math.max(1, maxPipes(connections) / config.threads()), config.threads());
    }

    /** For the start-up line. */
    String describe() {
        return "high_perf_lb: --splice: socket -> pipe -> socket, pipes of " + pipeBytes / 1024 + " KiB asked, up to "
                + maxPipes + " of them" + (threads > 1 ? " a loop" : "")
                + ", each held only while bytes wait in it (without one, a read copies)";
    }

    /** HAProxy's default: {@code maxpipes = maxconn / 4}, at least one. */
    static int maxPipes(int connections) { return Math.max(1, connections / 4); }

    /** The pool's size: {@code --max-conns} if given, else what the fds allow, with room for pipes under --splice. */
    static int poolCapacity(LbConfig config, long openFiles, int maxFd) {
        if (config.maxConnections() > 0) return config.maxConnections();
        long heap = Runtime.getRuntime().maxMemory();
        if (config.splicePipeBytes() <= 0) return LoadBalancer.defaultPoolSize(openFiles, maxFd, heap);
        return defaultPoolSize(openFiles, maxFd, heap);
    }

    /**
     * {@link LoadBalancer#defaultPoolSize} with room for the pipes: a connection takes
     * two fds and a quarter of a pipe's two, so 2.5 fds instead of 2. Pipes are
     * never watched by the loop, but they take fd numbers all the same: select's
     * FD_SETSIZE bounds them too.
     */
    static int defaultPoolSize(long openFiles, int maxFd, long maxHeapBytes) {
        long usable = Math.min(openFiles, (long) maxFd + 1) - LoadBalancer.FDS_KEPT_FREE;
        long forSockets = Math.max(2, usable * 4 / 5);
        return LoadBalancer.defaultPoolSize(forSockets + LoadBalancer.FDS_KEPT_FREE, Integer.MAX_VALUE - 1,
                maxHeapBytes);
    }

    /**
     * One splice from the flow's source into a pipe, then as much of it as the
     * destination takes. Called by {@link Forwarder#pumpOnce} for a flow that is
     * open, not at EOF and not paused: so nothing of it waits anywhere.
     *
     * @return as {@link Pump#pumpOnce()}, or {@link #COPY}
     */
    int pumpOnce(Flow flow) {
        Connection c = flow.connection;
        try {
            Splice.Pipe pipe = take();
            if (pipe == null) {
                copiedForWantOfAPipe++;
                return COPY;
            }
            flow.pipe = pipe;
            // The pipe is empty, so EAGAIN here can only mean the socket is (HAProxy has to
            // tell the two apart: it reads into a pipe that may hold bytes already).
            int n;
            try {
                n = splice.toPipe(flow.sourceFd(), pipe, pipe.capacity());
            } catch (IOException reset) {
                giveBack(flow);                       // still empty
                lb.forwarder().sourceFailed(flow);    // what the source sent before is still delivered
                return c.state == Connection.OPEN ? Pump.EOF : Pump.CLOSED;
            }
            if (n == Sockets.AGAIN || n == 0) {
                giveBack(flow);
                if (n == Sockets.AGAIN) return Pump.AGAIN;
                flow.sourceEof = true;
                lb.forwarder().passOnEof(flow);
                lb.forwarder().settle(c);
                return Pump.EOF;
            }
            flow.piped = n;
            splicedBytes += n;
            if (flow.fromClient) stats.bytesToBackends += n; else stats.bytesToClients += n;
            lb.traffic(c);
            try {
                drain(flow);
            } catch (IOException reset) {
                lb.forwarder().destinationFailed(flow);   // as a reset met reading it: see Forwarder
                return c.state == Connection.OPEN ? Pump.EOF : Pump.CLOSED;
            }
            if (flow.piped == 0) return n;
            // The destination is full: what is left in the pipe waits for WRITE, and the
            // source is not read meanwhile (its socket buffer fills, TCP slows the sender).
            flow.paused = true;
            flow.watchingWrite = true;
            lb.forwarder().settle(c);
            return flow.paused ? Pump.PAUSED : n;
        } catch (IOException e) {
            lb.release(c);              // a pipe or the loop failed: close both; the pipe goes with them
            return Pump.CLOSED;
        }
    }

    /** The destination is writable and bytes wait in the pipe: move them; un-pause once it is empty. */
    void onWritable(Flow flow) throws IOException {
        drain(flow);
        if (flow.piped == 0) {
            flow.watchingWrite = false;
            flow.paused = false;
        }
    }

    private void drain(Flow flow) throws IOException {
        int m = splice.fromPipe(flow.pipe, flow.destinationFd(), flow.piped);
        if (m == Sockets.AGAIN) return;
        if (m > 0) lb.traffic(flow.connection);
        flow.piped -= m;
        if (flow.piped == 0) giveBack(flow);
    }

    private Splice.Pipe take() throws IOException {
        Splice.Pipe p = free.pollFirst();
        if (p != null || open >= maxPipes) return p;
        p = splice.pipe(pipeBytes);               // null: no fd left for it
        if (p != null) open++;
        return p;
    }

    private void giveBack(Flow flow) {
        free.addFirst(flow.pipe);                 // most recently used first: its pages are likely warm
        flow.pipe = null;
    }

    /** The flow's connection is closing: its pipe goes back to the pool if empty, else is closed with its bytes. */
    void drop(Flow flow) {
        if (flow.pipe == null) return;
        if (flow.piped == 0) {
            giveBack(flow);
        } else {
            splice.close(flow.pipe);
            open--;
            flow.pipe = null;
            flow.piped = 0;
        }
    }

    /** Closes the pooled pipes (the balancer is stopping; every connection was released first). */
    void close() {
        for (Splice.Pipe p; (p = free.pollFirst()) != null; open--) splice.close(p);
    }

    int pipesOpen() { return open; }

    int maxPipes() { return maxPipes; }

    long splicedBytes() { return splicedBytes; }

    long copiedForWantOfAPipe() { return copiedForWantOfAPipe; }
}
