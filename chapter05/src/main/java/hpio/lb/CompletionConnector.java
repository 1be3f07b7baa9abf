package hpio.lb;

import hpio.nativeio.Errno;
import hpio.nativeio.LinuxIoUring;
import hpio.nativeio.Posix;
import hpio.proactor.CompletionLoop;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.util.concurrent.TimeUnit;

/**
 * Connects each new client to a backend with IORING_OP_CONNECT, linked to an
 * IORING_OP_LINK_TIMEOUT that cancels it after {@code --connect-timeout}: the
 * kernel keeps the deadline, no timer of ours. Choosing, passive health and
 * retries are as on the reactor's path ({@link UpstreamConnector}): the
 * algorithm picks among the backends up and not yet tried for this client; a
 * refused, unreachable or timed-out connect marks that backend down for
 * {@code --fail-timeout} and the next is tried; a local failure (no fd) blames
 * no backend.
 */
final class CompletionConnector {
    private final CompletionBalancer lb;
    private final CompletionLoop loop;
    private final Upstream[] upstreams;
    private final Algorithm algorithm;
    private final Stats stats;
    private final RateLimitedLog rateLimited;
    private final PrintStream log;
    private final long connectTimeoutMillis;
    private final long failTimeoutNanos;
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment cs = Posix.newCallState(arena);
    private final MemorySegment[] sockaddrs;      // one sockaddr_in per upstream, made once
    private final MemorySegment timespec;         // copied by the kernel at each submit

    CompletionConnector(CompletionBalancer lb, CompletionLoop loop, Upstream[] upstreams, Algorithm algorithm,
                        Stats stats, RateLimitedLog rateLimited, PrintStream log, LbConfig config) {
        this.lb = lb;
        this.loop = loop;
        this.upstreams = upstreams;
        this.algorithm = algorithm;
        this.stats = stats;
        this.rateLimited = rateLimited;
        this.log = log;
        this.connectTimeoutMillis = config.connectTimeoutMillis();
        this.failTimeoutNanos = TimeUnit.SECONDS.toNanos(config.failTimeoutSeconds());
        sockaddrs = new MemorySegment[upstreams.length];
        for (int i = 0; i < upstreams.length; i++) {
            sockaddrs[i] = arena.allocate(Posix.SOCKADDR_IN_SIZE, 8);
            byte[] ip = ((Inet4Address) upstreams[i].address.getAddress()).getAddress();
            Posix.encodeSockaddrIn(sockaddrs[i], java.nio.ByteBuffer.wrap(ip).getInt(), upstreams[i].port);
        }
        timespec = arena.allocate(LinuxIoUring.KERNEL_TIMESPEC);
        timespec.set(ValueLayout.JAVA_LONG, 0, connectTimeoutMillis / 1000);
        timespec.set(ValueLayout.JAVA_LONG, 8, (connectTimeoutMillis % 1000) * 1_000_000L);
    }

    /** Picks an upstream and submits the connect; with none left, the client is closed. */
    void connect(CompletionConnection c) throws IOException {
        long allowed = Upstream.candidates(upstreams, c.triedUpstreams, loop.nanoTime());
        int i = algorithm.pick(upstreams, c.clientIpv4, allowed);
        if (i < 0) {
            stats.rejectedNoUpstream++;
            rateLimited.log(RateLimitedLog.Kind.NO_UPSTREAM, "high_perf_lb: no backend reachable; closing client connections");
            lb.abort(c);
            return;
        }
        c.triedUpstreams |= 1L << i;
        c.upstream = i;
        // Blocking, like the accepted ones: only io_uring uses it, and io_uring never
        // blocks on a socket (it tries without waiting, then arms a poll of its own).
        int fd = Posix.socket(cs, Posix.AF_INET, Posix.SOCK_STREAM | Posix.SOCK_CLOEXEC, 0);
        if (fd < 0) {                             // EMFILE, ENFILE: ours, not the backend's
            int errno = Posix.errno(cs);
            rateLimited.log(RateLimitedLog.Kind.CONNECT, "high_perf_lb: cannot connect to a backend: socket() failed: "
                    + Errno.name(errno) + " (" + Errno.text(errno) + ")");
            lb.abort(c);
            return;
        }
        c.backendFd = fd;
        c.state = CompletionConnection.CONNECTING;
        c.connecting = true;
        loop.connect(c.slot, CompletionConnection.OP_CONNECT, CompletionConnection.OP_CONNECT_TIMEOUT, fd,
                sockaddrs[i].address(), (int) Posix.SOCKADDR_IN_SIZE, timespec.address());
    }

    /** The CONNECT's CQE: 0, or -errno (-ECANCELED: its linked timeout fired). */
    void connected(CompletionConnection c, int res) throws IOException {
        c.connecting = false;
        if (c.state != CompletionConnection.CONNECTING) return;     // closing: the caller settles
        if (res == 0) {
            upstreams[c.upstream].connected();
            lb.flows().start(c);
            return;
        }
        int errno = -res;
        String why = errno == LinuxIoUring.ECANCELED ? "connect timed out after " + connectTimeoutMillis + " ms"
                : "connect: " + Errno.name(errno) + " (" + Errno.text(errno) + ")";
        if (!peersFault(errno)) {                 // ENOBUFS, EADDRNOTAVAIL...: ours
            rateLimited.log(RateLimitedLog.Kind.CONNECT, "high_perf_lb: cannot connect to a backend: " + why);
            lb.abort(c);
            return;
        }
        upstreams[c.upstream].markFailed(why, loop.nanoTime(), failTimeoutNanos, log);
        lb.closeSoon(c.backendFd);                // nothing of it is in flight: its CONNECT has ended
        c.backendFd = -1;
        connect(c);
    }

    /** The classification of {@link hpio.net.PeerUnreachableException}, plus our own timeout. */
    private static boolean peersFault(int errno) {
        return errno == LinuxIoUring.ECANCELED || errno == Errno.ECONNREFUSED || errno == Errno.ETIMEDOUT
                || errno == Errno.ENETUNREACH || errno == Errno.EHOSTUNREACH || errno == Errno.ECONNRESET;
    }
}
