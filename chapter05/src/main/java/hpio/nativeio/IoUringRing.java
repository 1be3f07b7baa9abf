package hpio.nativeio;

import static hpio.nativeio.LinuxIoUring.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * One io_uring instance: its fd and the three areas it shares with the kernel,
 * mapped once: the SQ ring (head, tail, flags, the index array), the SQE array,
 * and the CQ ring (head, tail, overflow counter, the CQEs). Used by one thread.
 *
 * <h2>How to use it (readiness and completion alike)</h2>
 * <pre>
 *   ring.prepPollAdd(fd, POLLIN, IORING_POLL_ADD_MULTI, userData);  // false: SQ full, submit() and retry
 *   ring.prepRecv(fd, bufAddress, len, 0, userData);
 *   ring.submitAndWait(1, timeoutNanos);        // one io_uring_enter: submit all, wait for one
 *   int n = ring.cqReady();
 *   for (int i = 0; i &lt; n; i++) { ring.cqeUserData(i); ring.cqeRes(i); ring.cqeFlags(i); }
 *   ring.cqAdvance(n);                          // hands the slots back to the kernel
 * </pre>
 * Every {@code prep*} fills the next free SQE in place (no allocation) and returns
 * false when the SQ is full: the caller then calls {@link #submit()} and tries
 * again. {@link #lastSqeFlags} and {@link #lastSqeBufGroup} amend the SQE just
 * prepared. Nothing reaches the kernel before {@code submit}/{@code submitAndWait}
 * (one store-release of the SQ tail). CQE accessors take an index from the head.
 *
 * <p>A buffer whose address is given to {@code prepRecv}/{@code prepSend} must
 * stay alive and untouched until that operation's CQE arrives (or its cancel's).
 *
 * <p>Overflow: the ring is opened only where the kernel has IORING_FEAT_NODROP, so
 * a completion that finds the CQ full waits in the kernel's overflow list
 * ({@link #cqOverflowPending()}), and the next {@code submitAndWait} (which enters
 * with GETEVENTS) moves it into the CQ once there is room. EINTR during a wait
 * ends the wait (0 completions is a valid answer); EBUSY (completions the kernel
 * cannot flush yet) also ends it: reap the CQ, then call again.
 */
public final class IoUringRing implements AutoCloseable {
    // Shared with the kernel: int fields at offsets the kernel gave us, accessed with
    // acquire/release semantics (the model: liburing's include/liburing/barrier.h).
    private static final VarHandle INT = JAVA_INT.varHandle();

    private final Arena arena = Arena.ofShared();
    private final MemorySegment cs = Posix.newCallState(arena);
    private final MemorySegment waitArg = arena.allocate(IO_URING_GETEVENTS_ARG);
    private final MemorySegment timespec = arena.allocate(KERNEL_TIMESPEC);
    private final int fd, features, sqEntries, cqEntries;
    private final MemorySegment sqRing, cqRing, sqes;  // cqRing is sqRing under SINGLE_MMAP
    private final long sqHeadOff, sqTailOff, sqFlagsOff;
    private final long cqHeadOff, cqTailOff, cqOverflowOff, cqesOff;
    private final int sqMask, cqMask;
    private int sqTail;          // ours: SQEs prepared up to here, published at the next submit
    private int sqSubmitted;     // the tail as last published to the kernel
    private int cqHead;          // ours: the next CQE to read (published by cqAdvance)
    private long lastSqe = -1;
    private boolean closed;

    private IoUringRing(int entries, int cqEntriesWanted, int setupFlags) throws NativeIOException {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment p = tmp.allocate(IO_URING_PARAMS);
            int flags = setupFlags;
            if (cqEntriesWanted > 0) {
                flags |= IORING_SETUP_CQSIZE;
                p.set(JAVA_INT, off(IO_URING_PARAMS, "cq_entries"), cqEntriesWanted);
            }
            p.set(JAVA_INT, off(IO_URING_PARAMS, "flags"), flags);
            fd = ioUringSetup(cs, entries, p);
            if (fd < 0) {
                int errno = Posix.errno(cs);
                arena.close();
                throw new NativeIOException("io_uring_setup(entries=" + entries + ")", errno);
            }
            features = p.get(JAVA_INT, off(IO_URING_PARAMS, "features"));
            sqEntries = p.get(JAVA_INT, off(IO_URING_PARAMS, "sq_entries"));
            cqEntries = p.get(JAVA_INT, off(IO_URING_PARAMS, "cq_entries"));
            long sqOff = off(IO_URING_PARAMS, "sq_off"), cqOff = off(IO_URING_PARAMS, "cq_off");
            int sqArray = p.get(JAVA_INT, sqOff + off(IO_SQRING_OFFSETS, "array"));
            sqHeadOff = p.get(JAVA_INT, sqOff + off(IO_SQRING_OFFSETS, "head"));
            sqTailOff = p.get(JAVA_INT, sqOff + off(IO_SQRING_OFFSETS, "tail"));
            sqFlagsOff = p.get(JAVA_INT, sqOff + off(IO_SQRING_OFFSETS, "flags"));
            cqHeadOff = p.get(JAVA_INT, cqOff + off(IO_CQRING_OFFSETS, "head"));
            cqTailOff = p.get(JAVA_INT, cqOff + off(IO_CQRING_OFFSETS, "tail"));
            cqOverflowOff = p.get(JAVA_INT, cqOff + off(IO_CQRING_OFFSETS, "overflow"));
            cqesOff = p.get(JAVA_INT, cqOff + off(IO_CQRING_OFFSETS, "cqes"));
            long sqRingSize = sqArray + 4L * sqEntries;
            long cqRingSize = cqesOff + CQE_SIZE * cqEntries;
            boolean single = (features & IORING_FEAT_SINGLE_MMAP) != 0;
            MemorySegment sq = null, cq = null, se = null;
            try {
                // SINGLE_MMAP (5.4): both rings live in one mapping, sized for the larger.
                sq = map(cs, fd, single ? Math.max(sqRingSize, cqRingSize) : sqRingSize, IORING_OFF_SQ_RING);
                cq = single ? sq : map(cs, fd, cqRingSize, IORING_OFF_CQ_RING);
                se = map(cs, fd, SQE_SIZE * sqEntries, IORING_OFF_SQES);
            } catch (NativeIOException e) {
                if (sq != null) munmap(cs, sq.address(), sq.byteSize());
                if (cq != null && cq != sq) munmap(cs, cq.address(), cq.byteSize());
                Posix.close(cs, fd);
                arena.close();
                throw e;
            }
            sqRing = sq; cqRing = cq; sqes = se;
            sqMask = sqRing.get(JAVA_INT, p.get(JAVA_INT, sqOff + off(IO_SQRING_OFFSETS, "ring_mask")));
            cqMask = cqRing.get(JAVA_INT, p.get(JAVA_INT, cqOff + off(IO_CQRING_OFFSETS, "ring_mask")));
            // The index array maps ring slot i to SQE i, once and for all: we fill SQEs in ring order.
            for (int i = 0; i < sqEntries; i++) sqRing.set(JAVA_INT, sqArray + 4L * i, i);
            sqTail = sqSubmitted = (int) INT.getAcquire(sqRing, sqTailOff);
            cqHead = (int) INT.getAcquire(cqRing, cqHeadOff);
        }
    }

    /**
     * Sets up a ring. {@code cqEntries} 0 takes the kernel's default (twice the SQ);
     * {@code setupFlags} are IORING_SETUP_* (CQSIZE is added when cqEntries > 0).
     * Fails with a {@link NativeIOException} where the kernel lacks IORING_FEAT_NODROP.
     */
    public static IoUringRing open(int entries, int cqEntries, int setupFlags) throws NativeIOException {
        IoUringRing r = new IoUringRing(entries, cqEntries, setupFlags);
        if ((r.features & IORING_FEAT_NODROP) == 0) {
            r.close();
            throw new NativeIOException("io_uring_setup: no IORING_FEAT_NODROP (needs 5.5)", Errno.EOPNOTSUPP);
        }
        return r;
    }

    public int fd() { return fd; }
    public int features() { return features; }
    public boolean hasFeature(int feature) { return (features & feature) == feature; }
    public int sqEntries() { return sqEntries; }
    public int cqEntries() { return cqEntries; }

    /** SQEs prepared and not yet submitted. */
    public int sqPending() { return sqTail - sqSubmitted; }
    /** Free SQE slots. */
    public int sqSpace() {
        // Acquire: pairs with the kernel's store-release of the SQ head after it has
        // read the SQEs up to there, so we never overwrite one it is still reading.
        int head = (int) INT.getAcquire(sqRing, sqHeadOff);
        return sqEntries - (sqTail - head);
    }

    /**
     * Fills the next SQE (zeroed first: unused fields must be 0) with the fields
     * every operation here uses; false when the SQ is full.
     */
    private boolean prep(byte opcode, int fd, long addr, long off, int len, int opFlags, long userData) {
        if (sqSpace() == 0) {
            lastSqe = -1;
            return false;
        }
        long s = (sqTail & sqMask) * SQE_SIZE;
        for (long o = 0; o < SQE_SIZE; o += 8) sqes.set(JAVA_LONG, s + o, 0L);
        sqes.set(JAVA_BYTE, s + SQE_OPCODE, opcode);
        sqes.set(JAVA_INT, s + SQE_FD, fd);
        sqes.set(JAVA_LONG, s + SQE_OFF, off);
        sqes.set(JAVA_LONG, s + SQE_ADDR, addr);
        sqes.set(JAVA_INT, s + SQE_LEN, len);
        sqes.set(JAVA_INT, s + SQE_OP_FLAGS, opFlags);
        sqes.set(JAVA_LONG, s + SQE_USER_DATA, userData);
        sqTail++;                   // ours only: the kernel sees it at the next submit
        lastSqe = s;
        return true;
    }

    /** IORING_OP_NOP: completes at once with res 0 (a test of the ring, or a wake-up of our own). */
    public boolean prepNop(long userData) { return prep(IORING_OP_NOP, -1, 0, 0, 0, 0, userData); }

    /**
     * IORING_OP_POLL_ADD: completes when {@code fd} has any of {@code pollMask}; res is the ready mask.
     * IORING_POLL_ADD_MULTI keeps it armed: a CQE with F_MORE per wake-up (new data), not per level.
     * Without it, one CQE and the poll is gone.
     */
    public boolean prepPollAdd(int fd, int pollMask, int pollFlags, long userData) {
        // len holds the flags; poll32_events the mask (little-endian on our two archs).
        return prep(IORING_OP_POLL_ADD, fd, 0, 0, pollFlags, pollMask, userData);
    }

    /** IORING_OP_POLL_REMOVE of the poll submitted with {@code targetUserData}; res 0 or -ENOENT. */
    public boolean prepPollRemove(long targetUserData, long userData) {
        return prep(IORING_OP_POLL_REMOVE, -1, targetUserData, 0, 0, 0, userData);
    }

    /** IORING_OP_ASYNC_CANCEL of the request(s) with {@code targetUserData}, which then complete with -ECANCELED. */
    public boolean prepCancel(long targetUserData, int cancelFlags, long userData) {
        return prep(IORING_OP_ASYNC_CANCEL, -1, targetUserData, 0, 0, cancelFlags, userData);
    }

    /**
     * IORING_OP_ACCEPT on a listening {@code fd}; res is the new fd. {@code addr} and
     * {@code addrLenAddr} may be 0; {@code acceptFlags} as accept4's (SOCK_NONBLOCK,
     * SOCK_CLOEXEC); {@code multishot}: one CQE per connection while F_MORE is set.
     */
    public boolean prepAccept(int fd, long addr, long addrLenAddr, int acceptFlags, boolean multishot, long userData) {
        // addr2 (off) is the socklen_t *.
        if (!prep(IORING_OP_ACCEPT, fd, addr, addrLenAddr, 0, acceptFlags, userData)) return false;
        if (multishot) lastSqeIoprio(IORING_ACCEPT_MULTISHOT);
        return true;
    }

    /** IORING_OP_CONNECT to the sockaddr at {@code addr} (kept alive until the CQE); res 0 or -errno. */
    public boolean prepConnect(int fd, long addr, int addrLen, long userData) {
        return prep(IORING_OP_CONNECT, fd, addr, addrLen, 0, 0, userData);   // addr2 holds the length itself
    }

    /** IORING_OP_RECV into {@code buf} (a raw address); res is the byte count, 0 at EOF. */
    public boolean prepRecv(int fd, long buf, int len, int msgFlags, long userData) {
        return prep(IORING_OP_RECV, fd, buf, 0, len, msgFlags, userData);
    }

    /** IORING_OP_CLOSE (5.6): {@code close(fd)} as an operation; the fd stays open until it is submitted. */
    public boolean prepClose(int fd, long userData) { return prep(IORING_OP_CLOSE, fd, 0, 0, 0, 0, userData); }

    /** IORING_OP_SEND from {@code buf} (a raw address); res is the byte count sent. */
    public boolean prepSend(int fd, long buf, int len, int msgFlags, long userData) {
        return prep(IORING_OP_SEND, fd, buf, 0, len, msgFlags, userData);
    }

    /**
     * IORING_OP_LINK_TIMEOUT, a deadline for the SQE before it (which carries IOSQE_IO_LINK): if it passes
     * first, that one ends -ECANCELED and this -ETIME. The timespec is copied at submit, not later.
     */
    public boolean prepLinkTimeout(long timespec, long userData) {
        return prep(IORING_OP_LINK_TIMEOUT, -1, timespec, 0, 1, 0, userData);
    }

    private long last() {
        if (lastSqe < 0) throw new IllegalStateException("no SQE was prepared");
        return lastSqe;
    }

    /** ORs IOSQE_* flags (IO_LINK, CQE_SKIP_SUCCESS, BUFFER_SELECT...) into the SQE just prepared. */
    public void lastSqeFlags(int iosqeFlags) {
        last();
        sqes.set(JAVA_BYTE, lastSqe + SQE_FLAGS, (byte) (sqes.get(JAVA_BYTE, lastSqe + SQE_FLAGS) | iosqeFlags));
    }

    /** ORs {@code ioprio} bits (IORING_RECV_MULTISHOT...) into the SQE just prepared. */
    public void lastSqeIoprio(int ioprio) {
        last();
        sqes.set(JAVA_SHORT, lastSqe + SQE_IOPRIO, (short) (sqes.get(JAVA_SHORT, lastSqe + SQE_IOPRIO) | ioprio));
    }

    /** Sets buf_group (for IOSQE_BUFFER_SELECT) on the SQE just prepared. */
    public void lastSqeBufGroup(int group) { sqes.set(JAVA_SHORT, last() + SQE_BUF_INDEX, (short) group); }

    /** Makes the prepared SQEs visible to the kernel; returns how many there are. */
    private int publish() {
        // Release: pairs with the kernel's load-acquire of the SQ tail, so it reads
        // the SQEs (and the index array) as we wrote them, not half-written.
        INT.setRelease(sqRing, sqTailOff, sqTail);
        int n = sqTail - sqSubmitted;
        sqSubmitted = sqTail;
        return n;
    }

    /**
     * Submits the prepared SQEs without waiting (one io_uring_enter; none when
     * nothing is prepared). EINTR is retried. Returns how many the kernel took;
     * 0 with SQEs left over means it refused more for now (EBUSY or EAGAIN):
     * reap completions, then submit again.
     */
    public int submit() throws NativeIOException {
        int n = publish();
        if (n == 0 && sqSpace() == sqEntries) return 0;
        int toSubmit = sqEntries - sqSpace();            // also any the kernel left earlier
        while (true) {
            int r = ioUringEnter(cs, fd, toSubmit, 0, 0, 0, 0);
            if (r >= 0) return r;
            int errno = Posix.errno(cs);
            if (errno == Errno.EINTR) continue;
            if (errno == EBUSY || errno == Errno.EAGAIN) return 0;
            throw new NativeIOException("io_uring_enter(fd=" + fd + ", to_submit=" + toSubmit + ")", errno);
        }
    }

    /**
     * Submits the prepared SQEs and waits, in one io_uring_enter, until at least
     * {@code minComplete} CQEs are in the CQ or {@code timeoutNanos} passes (-1:
     * no limit; 0: do not wait, but still move overflowed completions into the CQ).
     * Returns normally on a timeout, a signal (EINTR) or EBUSY: the caller reads
     * {@link #cqReady()} whatever happened.
     */
    public void submitAndWait(int minComplete, long timeoutNanos) throws NativeIOException {
        publish();
        int toSubmit = sqEntries - sqSpace();
        int flags = IORING_ENTER_GETEVENTS;
        long argp = 0, argsz = 0;
        if (timeoutNanos >= 0 && minComplete > 0) {
            timespec.set(JAVA_LONG, 0, timeoutNanos / 1_000_000_000L);
            timespec.set(JAVA_LONG, 8, timeoutNanos % 1_000_000_000L);
            waitArg.set(JAVA_LONG, ARG_TS, timespec.address());
            flags |= IORING_ENTER_EXT_ARG;
            argp = waitArg.address();
            argsz = waitArg.byteSize();
        }
        int wait = timeoutNanos == 0 ? 0 : minComplete;
        int r = ioUringEnter(cs, fd, toSubmit, wait, flags, argp, argsz);
        if (r >= 0) return;
        int errno = Posix.errno(cs);
        // ETIME: the timeout passed. EINTR: a signal, the caller comes round again.
        // EBUSY: the CQ is full with more in overflow; the caller reaps, then calls again.
        if (errno == ETIME || errno == Errno.EINTR || errno == EBUSY || errno == Errno.EAGAIN) return;
        throw new NativeIOException("io_uring_enter(fd=" + fd + ", to_submit=" + toSubmit + ", GETEVENTS)", errno);
    }

    /** CQEs ready to read, from index 0. */
    public int cqReady() {
        // Acquire: pairs with the kernel's store-release of the CQ tail after it wrote
        // the CQEs, so the CQEs we then read are complete.
        return (int) INT.getAcquire(cqRing, cqTailOff) - cqHead;
    }

    private long cqe(int i) { return cqesOff + ((cqHead + i) & cqMask) * CQE_SIZE; }

    public long cqeUserData(int i) { return cqRing.get(JAVA_LONG, cqe(i)); }
    public int cqeRes(int i) { return cqRing.get(JAVA_INT, cqe(i) + 8); }
    public int cqeFlags(int i) { return cqRing.get(JAVA_INT, cqe(i) + 12); }

    /** Hands the first {@code n} CQEs back to the kernel. */
    public void cqAdvance(int n) {
        cqHead += n;
        // Release: pairs with the kernel's load-acquire of the CQ head before it writes
        // a CQE, so it never overwrites one whose fields we are still reading.
        INT.setRelease(cqRing, cqHeadOff, cqHead);
    }

    /** Whether completions wait in the kernel's overflow list (IORING_SQ_CQ_OVERFLOW). */
    public boolean cqOverflowPending() {
        // Acquire (liburing: READ_ONCE): the kernel sets the bit under its own lock; we need a fresh value.
        return ((int) INT.getAcquire(sqRing, sqFlagsOff) & IORING_SQ_CQ_OVERFLOW) != 0;
    }

    /** Completions the kernel dropped (only without IORING_FEAT_NODROP, so 0 here). */
    public int cqOverflowCount() { return (int) INT.getAcquire(cqRing, cqOverflowOff); }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        unmap(cs, sqes);
        unmap(cs, sqRing);
        if (cqRing != sqRing) unmap(cs, cqRing);
        if (Posix.close(cs, fd) < 0) throw new IllegalStateException("close(io_uring): " + Errno.name(Posix.errno(cs)));
        arena.close();
    }
}
