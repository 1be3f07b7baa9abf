package hpio.proactor;

import static hpio.nativeio.LinuxIoUring.IORING_CQE_F_MORE;
import static hpio.nativeio.LinuxIoUring.IORING_POLL_ADD_MULTI;
import static hpio.nativeio.LinuxIoUring.IOSQE_IO_LINK;

import hpio.loop.Timer;
import hpio.loop.TimerQueue;
import hpio.loop.backends.FdWaker;
import hpio.nativeio.Errno;
import hpio.nativeio.IoUringBufRing;
import hpio.nativeio.IoUringRing;
import hpio.nativeio.LinuxIoUring;
import hpio.nativeio.NativeIOException;
import hpio.nativeio.Posix;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * A proactor's loop: operations (accept, connect, receive, send, cancel, close)
 * are submitted to one io_uring and their completions dispatched to one
 * {@link Handler}. A reactor is told "fd 12 is readable, now read"; this loop is
 * told "your receive is done: res bytes are in your buffer". One
 * {@code io_uring_enter} per turn submits everything queued since the last and
 * waits for a completion (or the earliest timer). A full SQ is submitted on the
 * way, without waiting; completions the CQ had no room for wait in the kernel's
 * overflow list (IORING_FEAT_NODROP) and are reaped in the same turn.
 *
 * <p>Each operation belongs to a slot (a connection, the listener) and its
 * user_data is {@code op << 56 | generation << 32 | slot}. The hard rule of a
 * proactor: a buffer given to the kernel is the kernel's until the operation's
 * CQE arrives. So the loop counts each slot's operations in flight, and
 * {@link #retire} refuses a slot (and its buffers) until that count is zero.
 * Retiring bumps the slot's generation: a CQE with an older one is stale.
 *
 * <p>The ring is SINGLE_ISSUER | DEFER_TASKRUN (6.1: completion work runs only when
 * we enter to wait, never interrupting the loop), born disabled and enabled by
 * the first turn, so that the thread that runs the loop becomes its one issuer.
 * Without those flags (EINVAL) it is a plain ring. One thread, but for {@link #wakeup()}.
 */
public final class CompletionLoop implements AutoCloseable {
    /** Where completions go: one object for the loop, so nothing is allocated per CQE. */
    public interface Handler {
        /** Operation {@code op} of {@code slot} completed with {@code res} (bytes, an fd, 0 or -errno). */
        void onCompletion(int slot, int op, int res, int cqeFlags) throws IOException;

        /** {@link #onCompletion} threw: the slot's owner closes that one; the loop goes on. */
        void onFailure(int slot, Exception cause);

        /** A {@link #closeFd} failed with {@code -res} (nothing waits for it: only reported). */
        void onCloseFailed(int res);
    }

    private static final int WAKER_SLOT = -1;             // user_data of the waker's poll: not a slot's
    private static final int CLOSE_SLOT = -2;             // user_data of closes: owned by no slot
    private static final int GENERATION_MASK = 0xFF_FFFF;

    private final IoUringRing ring;
    private final boolean singleIssuer;
    private final FdWaker waker;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment cs = Posix.newCallState(arena);
    private final TimerQueue timers = new TimerQueue();
    private Handler handler;
    private int[] inFlight = new int[64];                 // by slot
    private int[] generation = new int[64];               // by slot
    private int totalInFlight;
    private boolean enabled;
    private boolean wakerArmed;
    private long enters;
    private long completions;
    private long stale;

    /** A ring of {@code sqEntries} SQEs and {@code cqEntries} CQEs (0: twice the SQ). */
    public CompletionLoop(int sqEntries, int cqEntries) throws IOException {
        int preferred = LinuxIoUring.IORING_SETUP_SINGLE_ISSUER | LinuxIoUring.IORING_SETUP_DEFER_TASKRUN
                | LinuxIoUring.IORING_SETUP_R_DISABLED | LinuxIoUring.IORING_SETUP_SUBMIT_ALL;
        IoUringRing r;
        boolean single = true;
        try {
            r = IoUringRing.open(sqEntries, cqEntries, preferred);
        } catch (NativeIOException e) {
            if (e.errno() != Errno.EINVAL) throw e;
            r = IoUringRing.open(sqEntries, cqEntries, 0);   // before 6.1: no DEFER_TASKRUN
            single = false;
        }
        ring = r;
        singleIssuer = single;
        enabled = !single;
        try {
            waker = new FdWaker();
        } catch (IOException | RuntimeException e) {
            ring.close();
            arena.close();
            throw e;
        }
    }

    /** Sets where completions go (before the first turn). */
    public void handler(Handler h) { handler = h; }

    /** The user_data of operation {@code op} (1..255) of {@code slot} in its current generation. */
    public long userData(int slot, int op) {
        reserve(slot);
        return ((long) op << 56) | ((long) generation[slot] << 32) | (slot & 0xFFFF_FFFFL);
    }

    private void reserve(int slot) {
        if (slot < 0) throw new IllegalArgumentException("slot " + slot);
        if (slot < inFlight.length) return;
        int n = Math.max(slot + 1, inFlight.length * 2);
        inFlight = Arrays.copyOf(inFlight, n);
        generation = Arrays.copyOf(generation, n);
    }

    /**
     * Makes room for {@code n} SQEs: a full SQ is submitted now (no wait). If the
     * kernel takes none (EBUSY: its overflow list is full of completions we have
     * not reaped), it is asked once more after moving overflowed CQEs into the CQ.
     */
    private void room(int n) throws IOException {
        for (int attempt = 0; ring.sqSpace() < n; attempt++) {
            enable();
            enters++;
            if (ring.submit() > 0) continue;
            if (attempt >= 2) throw new NativeIOException("io_uring_enter: the SQ is full and the kernel takes no more",
                    LinuxIoUring.EBUSY);
            enters++;
            ring.submitAndWait(0, 0);
        }
    }

    /** Room for one SQE, and the user_data of {@code slot}'s {@code op}, counted in flight from now. */
    private long sqe(int slot, int op) throws IOException {
        long ud = userData(slot, op);
        room(1);
        inFlight[slot]++;
        totalInFlight++;
        return ud;
    }

    /** IORING_OP_RECV into {@code len} bytes at {@code buf}, which stay the kernel's until the CQE. */
    public void recv(int slot, int op, int fd, long buf, int len) throws IOException {
        ring.prepRecv(fd, buf, len, 0, sqe(slot, op));
    }

    /**
     * IORING_OP_RECV of at most {@code len} bytes into a buffer the kernel picks from
     * {@code buffers} when they arrive; the CQE names it (IORING_CQE_F_BUFFER).
     */
    public void recv(int slot, int op, int fd, int len, IoUringBufRing buffers) throws IOException {
        ring.prepRecv(fd, 0, len, 0, sqe(slot, op));
        ring.lastSqeFlags(LinuxIoUring.IOSQE_BUFFER_SELECT);
        ring.lastSqeBufGroup(buffers.group());
    }

    /** A ring of up to {@code count} provided buffers as group {@code group}, {@code initial} lent (Linux 5.19). */
    public IoUringBufRing provideBuffers(int group, int count, int size, int initial) throws NativeIOException {
        return new IoUringBufRing(ring.fd(), group, count, size, initial);
    }

    /** IORING_OP_SEND of {@code len} bytes at {@code buf}; they must stay untouched until the CQE. */
    public void send(int slot, int op, int fd, long buf, int len) throws IOException {
        ring.prepSend(fd, buf, len, Posix.MSG_NOSIGNAL, sqe(slot, op));
    }

    /**
     * IORING_OP_ACCEPT on {@code listenFd}; {@code multishot}: one CQE per client
     * while IORING_CQE_F_MORE is set (5.19), the peer's address then not reported.
     */
    public void accept(int slot, int op, int listenFd, long addr, long addrLen, boolean multishot) throws IOException {
        ring.prepAccept(listenFd, addr, addrLen, Posix.SOCK_CLOEXEC, multishot, sqe(slot, op));
    }

    /**
     * IORING_OP_CONNECT linked to an IORING_OP_LINK_TIMEOUT (two CQEs, both counted):
     * if {@code timespec} passes first the connect ends with -ECANCELED. The two go
     * in one submit: a link does not reach across io_uring_enter calls.
     */
    public void connect(int slot, int op, int timeoutOp, int fd, long sockaddr, int len, long timespec)
            throws IOException {
        room(2);
        ring.prepConnect(fd, sockaddr, len, sqe(slot, op));
        ring.lastSqeFlags(IOSQE_IO_LINK);
        ring.prepLinkTimeout(timespec, sqe(slot, timeoutOp));
    }

    /** IORING_OP_ASYNC_CANCEL of {@code slot}'s {@code targetOp}; its own CQE (op {@code cancelOp}) is counted too. */
    public void cancel(int slot, int targetOp, int cancelOp) throws IOException {
        ring.prepCancel(userData(slot, targetOp), 0, sqe(slot, cancelOp));
    }

    /**
     * IORING_OP_CLOSE of {@code fd}, owned by no slot: a close is the last step of a
     * connection, so it goes in the next io_uring_enter rather than costing a
     * system call of its own. The fd stays open (and its number taken) until then.
     * Only a failure posts a CQE where the kernel can skip the others (5.17).
     */
    public void closeFd(int fd) throws IOException {
        room(1);
        ring.prepClose(fd, CLOSE_SLOT & 0xFFFF_FFFFL);
        if (ring.hasFeature(LinuxIoUring.IORING_FEAT_CQE_SKIP)) ring.lastSqeFlags(LinuxIoUring.IOSQE_CQE_SKIP_SUCCESS);
    }

    /** IORING_OP_NOP: completes at once (tests). */
    public void nop(int slot, int op) throws IOException { ring.prepNop(sqe(slot, op)); }

    /** A NOP carrying {@code userData} as given, uncounted: how a test forges a stale CQE. */
    void forgedNop(long userData) throws IOException {
        room(1);
        ring.prepNop(userData);
    }

    /** Operations of {@code slot} whose CQE has not arrived (cancels included). */
    public int inFlight(int slot) { return slot < inFlight.length ? inFlight[slot] : 0; }

    /** Operations in flight, all slots together. */
    public int totalInFlight() { return totalInFlight; }

    /**
     * Retires {@code slot}'s current generation so that it may be reused; refused
     * (false) while any operation of it is in flight: its buffers are still the kernel's.
     */
    public boolean retire(int slot) {
        if (inFlight(slot) != 0) return false;
        reserve(slot);
        generation[slot] = (generation[slot] + 1) & GENERATION_MASK;
        return true;
    }

    public long nanoTime() { return System.nanoTime(); }
    public void schedule(Timer t, long delay, TimeUnit unit) { timers.schedule(t, nanoTime() + unit.toNanos(delay)); }
    public void cancel(Timer t) { timers.cancel(t); }

    private void enable() throws NativeIOException {
        if (enabled) return;
        // The calling thread becomes the ring's one issuer (SINGLE_ISSUER with R_DISABLED).
        if (LinuxIoUring.ioUringRegister(cs, ring.fd(), LinuxIoUring.IORING_REGISTER_ENABLE_RINGS, 0, 0) < 0) {
            throw new NativeIOException("io_uring_register(IORING_REGISTER_ENABLE_RINGS)", Posix.errno(cs));
        }
        enabled = true;
    }

    /**
     * One turn: submits what is queued and waits, in one io_uring_enter, for a
     * completion, the earliest timer or {@code maxWaitNanos} (-1: no limit);
     * dispatches every completion, then the timers due.
     */
    public void runOnce(long maxWaitNanos) throws IOException {
        enable();
        if (!wakerArmed) {
            room(1);
            ring.prepPollAdd(waker.fd(), LinuxIoUring.POLLIN, IORING_POLL_ADD_MULTI, WAKER_SLOT & 0xFFFF_FFFFL);
            wakerArmed = true;
        }
        long wait = maxWaitNanos;
        Timer first = timers.peek();
        if (first != null) {
            long due = Math.max(0, first.deadlineNanos() - nanoTime());
            wait = wait < 0 ? due : Math.min(wait, due);
        }
        boolean mustEnter = ring.sqPending() > 0 || ring.cqOverflowPending();
        if (ring.cqReady() == 0) {
            enters++;
            ring.submitAndWait(1, wait);
        } else if (mustEnter) {
            enters++;
            ring.submitAndWait(0, 0);
        }
        reap();
        while (ring.cqOverflowPending()) {         // more waited in the kernel than the CQ holds
            enters++;
            ring.submitAndWait(0, 0);
            reap();
        }
        long now = nanoTime();
        for (Timer t; (t = timers.pollDue(now)) != null; ) TimerQueue.run(t);
    }

    private void reap() throws IOException {
        int ready = ring.cqReady();
        for (int i = 0; i < ready; i++) dispatch(ring.cqeUserData(i), ring.cqeRes(i), ring.cqeFlags(i));
        ring.cqAdvance(ready);
        completions += ready;
    }

    private void dispatch(long ud, int res, int flags) throws IOException {
        int slot = (int) ud;
        boolean ended = (flags & IORING_CQE_F_MORE) == 0;
        if (slot == WAKER_SLOT) {
            if (ended) wakerArmed = false;
            waker.drain();
            return;
        }
        if (slot == CLOSE_SLOT) {
            if (res < 0) handler.onCloseFailed(res);
            return;
        }
        int gen = (int) (ud >>> 32) & GENERATION_MASK;
        if (slot < 0 || slot >= generation.length || generation[slot] != gen || inFlight[slot] == 0) {
            stale++;                                   // from a generation retired: nothing of it is ours
            return;
        }
        if (ended) {
            inFlight[slot]--;
            totalInFlight--;
        }
        try {
            handler.onCompletion(slot, (int) (ud >>> 56), res, flags);
        } catch (IOException | RuntimeException e) {
            handler.onFailure(slot, e);
        }
    }

    /** Ends a blocked {@link #runOnce} soon; any thread. */
    public void wakeup() { waker.wake(); }

    /** io_uring_enter calls made so far (what a proxied request costs in system calls). */
    public long enters() { return enters; }
    public long completions() { return completions; }
    /** CQEs dropped as stale (an old generation). */
    public long staleCompletions() { return stale; }
    /** Whether SINGLE_ISSUER | DEFER_TASKRUN took (Linux 6.1), else a plain ring. */
    public boolean singleIssuer() { return singleIssuer; }
    /** Completions wait in the kernel's overflow list: the CQ was full when they came. */
    public boolean cqOverflowPending() { return ring.cqOverflowPending(); }
    public int sqEntries() { return ring.sqEntries(); }
    public int cqEntries() { return ring.cqEntries(); }

    /**
     * Closes the ring. The owner first waits for {@link #totalInFlight()} to reach
     * zero (cancelling what would not end): tearing a ring down cancels its
     * requests asynchronously, in a kernel worker, so a buffer freed right after
     * close could still be written into.
     */
    @Override
    public void close() throws IOException {
        try {
            if (enabled && ring.sqSpace() < ring.sqEntries()) ring.submit();   // the last closes (run inline)
            waker.close();
        } finally {
            ring.close();
            arena.close();
        }
    }
}
