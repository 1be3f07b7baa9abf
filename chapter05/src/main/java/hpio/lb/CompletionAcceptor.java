package hpio.lb;

import static hpio.nativeio.LinuxIoUring.IORING_CQE_F_MORE;

import hpio.loop.Timer;
import hpio.nativeio.Errno;
import hpio.nativeio.LinuxIoUring;
import hpio.nativeio.Posix;
import hpio.proactor.CompletionLoop;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * The listening socket on the completion path: one multishot IORING_OP_ACCEPT
 * (5.19) yields a CQE per client, each with the new fd, for as long as the
 * kernel keeps it armed (IORING_CQE_F_MORE); when a CQE comes without that flag
 * it is submitted again. A multishot accept cannot report each peer's address
 * (one address buffer would be overwritten by the next client before we read
 * it), so with {@code -a iphash}, which needs it, clients are accepted one
 * operation at a time. A kernel without multishot accept (EINVAL) gets the same.
 * A failed accept (EMFILE most often) pauses accepting for 100 ms, as on the
 * reactor's path ({@link Listener}).
 */
final class CompletionAcceptor {
    static final int SLOT = 0;
    private static final long PAUSE_MILLIS = 100;

    private final CompletionBalancer lb;
    private final CompletionLoop loop;
    private final CompletionSlots slots;
    private final Stats stats;
    private final RateLimitedLog rateLimited;
    private final int fd;
    private final MemorySegment peer;             // sockaddr_in then socklen_t: one-at-a-time accepts only
    private final Timer resume = new Timer(this::resume);
    private boolean multishot;
    private boolean armed;
    private boolean open = true;

    CompletionAcceptor(CompletionBalancer lb, CompletionLoop loop, CompletionSlots slots, Stats stats,
                       RateLimitedLog rateLimited, int listenFd, boolean needPeerAddress) {
        this.lb = lb;
        this.loop = loop;
        this.slots = slots;
        this.stats = stats;
        this.rateLimited = rateLimited;
        this.fd = listenFd;
        this.multishot = !needPeerAddress;
        this.peer = Arena.ofAuto().allocate(Posix.SOCKADDR_IN_SIZE + 8, 8);
    }

    void start() throws IOException { arm(); }

    private void arm() throws IOException {
        if (!open || armed) return;
        long addr = multishot ? 0 : peer.address(), len = multishot ? 0 : peer.address() + Posix.SOCKADDR_IN_SIZE;
        if (!multishot) peer.set(ValueLayout.JAVA_INT, Posix.SOCKADDR_IN_SIZE, (int) Posix.SOCKADDR_IN_SIZE);
        loop.accept(SLOT, CompletionConnection.OP_ACCEPT, fd, addr, len, multishot);
        armed = true;
    }

    /** An accept's CQE: a new client's fd, or -errno. */
    void accepted(int res, int cqeFlags) throws IOException {
        boolean more = (cqeFlags & IORING_CQE_F_MORE) != 0;
        if (!more) armed = false;
        if (res >= 0) {
            if (open) take(res); else lb.closeSoon(res);
        } else if (open && res == -Errno.EINVAL && multishot) {
            multishot = false;                    // before 5.19: one accept at a time
        } else if (open && res != -LinuxIoUring.ECANCELED && res != -Errno.ECONNABORTED && res != -Errno.EINTR) {
            stats.acceptErrors++;
            rateLimited.log(RateLimitedLog.Kind.ACCEPT, "high_perf_lb: accept failed (" + Errno.name(-res) + " ("
                    + Errno.text(-res) + ")); pausing accepts for " + PAUSE_MILLIS + " ms");
            if (!more) {
                loop.schedule(resume, PAUSE_MILLIS, TimeUnit.MILLISECONDS);
                return;
            }
        }
        if (!more && !resume.isScheduled()) arm();
    }

    private void take(int client) throws IOException {
        CompletionConnection c = slots.take();
        if (c == null) {
            stats.rejectedPoolFull++;
            if (rateLimited.due(RateLimitedLog.Kind.POOL)) {
                lb.log().println("high_perf_lb: connection pool exhausted (" + slots.inUse() + " in use): refusing "
                        + "clients; raise --max-conns (" + stats.rejectedPoolFull + " refused so far)");
            }
            lb.closeSoon(client);
            return;
        }
        stats.activeConnections++;
        c.state = CompletionConnection.CONNECTING;
        c.clientFd = client;
        c.clientIpv4 = multishot ? 0 : Posix.sockaddrInAddress(peer);
        try {
            lb.connector().connect(c);
        } catch (IOException | RuntimeException e) {
            lb.onFailure(c.slot, e);             // that client goes; accepting goes on
        }
    }

    /** Handling an accept's CQE threw: accepting resumes after the pause, rather than never. */
    void failed() {
        if (open && !armed && !resume.isScheduled()) loop.schedule(resume, PAUSE_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void resume() {
        try {
            arm();
        } catch (IOException e) {
            lb.log().println("high_perf_lb: cannot resume accepting: " + e.getMessage());
        }
    }

    /** Stops accepting: the armed accept is cancelled (its CQE still comes); the fd closes with the loop. */
    void close() throws IOException {
        if (!open) return;
        open = false;
        loop.cancel(resume);
        if (armed) loop.cancel(SLOT, CompletionConnection.OP_ACCEPT, CompletionConnection.OP_CANCEL);
    }

    boolean isOpen() { return open; }

    int fd() { return fd; }
}
