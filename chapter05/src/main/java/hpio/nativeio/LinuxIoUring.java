package hpio.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Linux's io_uring(7) system calls, its structs and constants, through FFM. glibc
 * has no wrappers for them, so they go through {@code long syscall(long number, ...)}
 * (the numbers are the same on x86-64 and aarch64: 425, 426, 427). The layouts are
 * those of the kernel's {@code include/uapi/linux/io_uring.h}; the ring itself
 * (mapping, heads and tails, SQE preparation) is {@link IoUringRing}.
 */
public final class LinuxIoUring {
    private LinuxIoUring() {}

    public static final int SYS_IO_URING_SETUP = 425;
    public static final int SYS_IO_URING_ENTER = 426;
    public static final int SYS_IO_URING_REGISTER = 427;

    // ---- io_uring_setup flags (IORING_SETUP_*) ----
    public static final int IORING_SETUP_CQSIZE = 1 << 3;
    public static final int IORING_SETUP_CLAMP = 1 << 4;
    /** Born disabled: IORING_REGISTER_ENABLE_RINGS later, from the thread that is to own it (SINGLE_ISSUER). */
    public static final int IORING_SETUP_R_DISABLED = 1 << 6;
    public static final int IORING_SETUP_SUBMIT_ALL = 1 << 7;
    public static final int IORING_SETUP_COOP_TASKRUN = 1 << 8;
    public static final int IORING_SETUP_SINGLE_ISSUER = 1 << 12;
    public static final int IORING_SETUP_DEFER_TASKRUN = 1 << 13;

    // ---- io_uring_params.features (IORING_FEAT_*) ----
    public static final int IORING_FEAT_SINGLE_MMAP = 1;
    public static final int IORING_FEAT_NODROP = 1 << 1;
    public static final int IORING_FEAT_FAST_POLL = 1 << 5;
    public static final int IORING_FEAT_POLL_32BITS = 1 << 6;
    public static final int IORING_FEAT_EXT_ARG = 1 << 8;
    public static final int IORING_FEAT_CQE_SKIP = 1 << 11;

    // ---- io_uring_register opcodes ----
    public static final int IORING_REGISTER_ENABLE_RINGS = 12;
    /** A ring of provided buffers, shared with the kernel (5.19). */
    public static final int IORING_REGISTER_PBUF_RING = 22;

    // ---- io_uring_enter flags ----
    public static final int IORING_ENTER_GETEVENTS = 1;
    public static final int IORING_ENTER_EXT_ARG = 1 << 3;

    // ---- mmap offsets of the three areas ----
    public static final long IORING_OFF_SQ_RING = 0L;
    public static final long IORING_OFF_CQ_RING = 0x8000000L;
    public static final long IORING_OFF_SQES = 0x10000000L;

    // ---- the SQ ring's flags word (written by the kernel) ----
    public static final int IORING_SQ_NEED_WAKEUP = 1;
    /** Completions are waiting in the kernel's overflow list: enter with GETEVENTS flushes them. */
    public static final int IORING_SQ_CQ_OVERFLOW = 1 << 1;

    // ---- opcodes (enum io_uring_op) ----
    public static final byte IORING_OP_NOP = 0;
    public static final byte IORING_OP_POLL_ADD = 6;
    public static final byte IORING_OP_POLL_REMOVE = 7;
    public static final byte IORING_OP_ACCEPT = 13;
    public static final byte IORING_OP_ASYNC_CANCEL = 14;
    public static final byte IORING_OP_LINK_TIMEOUT = 15;
    public static final byte IORING_OP_CONNECT = 16;
    public static final byte IORING_OP_CLOSE = 19;
    public static final byte IORING_OP_SEND = 26;
    public static final byte IORING_OP_RECV = 27;

    // ---- sqe.flags (IOSQE_*) ----
    public static final int IOSQE_FIXED_FILE = 1;
    public static final int IOSQE_IO_LINK = 1 << 2;
    public static final int IOSQE_ASYNC = 1 << 4;
    public static final int IOSQE_BUFFER_SELECT = 1 << 5;
    /** No CQE when the operation succeeds (IORING_FEAT_CQE_SKIP); a failure still posts one. */
    public static final int IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

    // ---- per-opcode flags ----
    /** sqe.len of POLL_ADD: keep the poll armed after each completion (CQEs carry IORING_CQE_F_MORE). */
    public static final int IORING_POLL_ADD_MULTI = 1;
    /** sqe.ioprio of ACCEPT: one SQE, a CQE per accepted connection. */
    public static final int IORING_ACCEPT_MULTISHOT = 1;
    /** sqe.ioprio of RECV (with IOSQE_BUFFER_SELECT): one SQE, a CQE per received chunk. */
    public static final int IORING_RECV_MULTISHOT = 1 << 1;
    /** sqe.cancel_flags of ASYNC_CANCEL: cancel every request matching, not only the first. */
    public static final int IORING_ASYNC_CANCEL_ALL = 1;

    // ---- cqe.flags ----
    public static final int IORING_CQE_F_BUFFER = 1;
    /** A multishot request stays armed: more CQEs will come with this user_data. */
    public static final int IORING_CQE_F_MORE = 1 << 1;
    public static final int IORING_CQE_BUFFER_SHIFT = 16;

    // ---- poll masks (the same bits as epoll's) and errnos met here ----
    public static final int POLLIN = 0x001;
    public static final int POLLOUT = 0x004;
    public static final int POLLERR = 0x008;
    public static final int POLLHUP = 0x010;
    public static final int POLLRDHUP = 0x2000;
    public static final int EPOLLET = 1 << 31;
    public static final int EBUSY = 16;
    public static final int ETIME = 62;
    public static final int ECANCELED = 125;
    /** A RECV with IOSQE_BUFFER_SELECT found its group's ring empty. */
    public static final int ENOBUFS = 105;

    // snippet-start io-uring-layouts
    /** {@code struct io_sqring_offsets}: where each SQ ring field lies in the mapping, 40 bytes. */
    public static final StructLayout IO_SQRING_OFFSETS = MemoryLayout.structLayout(
            JAVA_INT.withName("head"), JAVA_INT.withName("tail"), JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"), JAVA_INT.withName("flags"), JAVA_INT.withName("dropped"),
            JAVA_INT.withName("array"), JAVA_INT.withName("resv1"), JAVA_LONG.withName("user_addr"));

    /** {@code struct io_cqring_offsets}: the same for the CQ ring, 40 bytes. */
    public static final StructLayout IO_CQRING_OFFSETS = MemoryLayout.structLayout(
            JAVA_INT.withName("head"), JAVA_INT.withName("tail"), JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"), JAVA_INT.withName("overflow"), JAVA_INT.withName("cqes"),
            JAVA_INT.withName("flags"), JAVA_INT.withName("resv1"), JAVA_LONG.withName("user_addr"));

    /** {@code struct io_uring_params}: in and out of io_uring_setup, 120 bytes. */
    public static final StructLayout IO_URING_PARAMS = MemoryLayout.structLayout(
            JAVA_INT.withName("sq_entries"), JAVA_INT.withName("cq_entries"), JAVA_INT.withName("flags"),
            JAVA_INT.withName("sq_thread_cpu"), JAVA_INT.withName("sq_thread_idle"),
            JAVA_INT.withName("features"), JAVA_INT.withName("wq_fd"),
            MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv"),
            IO_SQRING_OFFSETS.withName("sq_off"), IO_CQRING_OFFSETS.withName("cq_off"));

    /**
     * {@code struct io_uring_sqe}: one submission, 64 bytes. Its unions are given
     * by the member we use: {@code off} (addr2), {@code addr}, {@code op_flags}
     * (poll32_events, accept_flags, msg_flags, cancel_flags...), {@code buf_index}
     * (buf_group), {@code file_index} (splice_fd_in, addr_len) and {@code addr3}.
     */
    public static final StructLayout IO_URING_SQE = MemoryLayout.structLayout(
            JAVA_BYTE.withName("opcode"), JAVA_BYTE.withName("flags"), JAVA_SHORT.withName("ioprio"),
            JAVA_INT.withName("fd"), JAVA_LONG.withName("off"), JAVA_LONG.withName("addr"),
            JAVA_INT.withName("len"), JAVA_INT.withName("op_flags"), JAVA_LONG.withName("user_data"),
            JAVA_SHORT.withName("buf_index"), JAVA_SHORT.withName("personality"),
            JAVA_INT.withName("file_index"), JAVA_LONG.withName("addr3"), JAVA_LONG.withName("pad2"));

    /** {@code struct io_uring_cqe}: one completion, 16 bytes (without IORING_SETUP_CQE32). */
    public static final StructLayout IO_URING_CQE = MemoryLayout.structLayout(
            JAVA_LONG.withName("user_data"), JAVA_INT.withName("res"), JAVA_INT.withName("flags"));

    /** {@code struct io_uring_getevents_arg}: the wait's timeout for IORING_ENTER_EXT_ARG, 24 bytes. */
    public static final StructLayout IO_URING_GETEVENTS_ARG = MemoryLayout.structLayout(
            JAVA_LONG.withName("sigmask"), JAVA_INT.withName("sigmask_sz"),
            JAVA_INT.withName("min_wait_usec"), JAVA_LONG.withName("ts"));

    /** {@code struct __kernel_timespec}: two 64-bit fields on every architecture. */
    public static final StructLayout KERNEL_TIMESPEC = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"), JAVA_LONG.withName("tv_nsec"));
    // snippet-end io-uring-layouts

    /** {@code struct io_uring_buf_reg}: the argument of IORING_REGISTER_PBUF_RING, 40 bytes. */
    public static final StructLayout IO_URING_BUF_REG = MemoryLayout.structLayout(
            JAVA_LONG.withName("ring_addr"), JAVA_INT.withName("ring_entries"), JAVA_SHORT.withName("bgid"),
            JAVA_SHORT.withName("flags"), MemoryLayout.sequenceLayout(3, JAVA_LONG).withName("resv"));

    /**
     * {@code struct io_uring_buf}: one entry of a provided-buffer ring, 16 bytes. The
     * ring's tail is the {@code resv} of entry 0 ({@code struct io_uring_buf_ring}'s union).
     */
    public static final StructLayout IO_URING_BUF = MemoryLayout.structLayout(
            JAVA_LONG.withName("addr"), JAVA_INT.withName("len"), JAVA_SHORT.withName("bid"),
            JAVA_SHORT.withName("resv"));

    // The field offsets the ring uses, read from the layouts so there is one truth.
    static long off(StructLayout l, String... path) {
        MemoryLayout.PathElement[] p = new MemoryLayout.PathElement[path.length];
        for (int i = 0; i < path.length; i++) p[i] = MemoryLayout.PathElement.groupElement(path[i]);
        return l.byteOffset(p);
    }

    public static final long SQE_SIZE = IO_URING_SQE.byteSize();
    static final long SQE_OPCODE = off(IO_URING_SQE, "opcode");
    static final long SQE_FLAGS = off(IO_URING_SQE, "flags");
    static final long SQE_IOPRIO = off(IO_URING_SQE, "ioprio");
    static final long SQE_FD = off(IO_URING_SQE, "fd");
    static final long SQE_OFF = off(IO_URING_SQE, "off");
    static final long SQE_ADDR = off(IO_URING_SQE, "addr");
    static final long SQE_LEN = off(IO_URING_SQE, "len");
    static final long SQE_OP_FLAGS = off(IO_URING_SQE, "op_flags");
    static final long SQE_USER_DATA = off(IO_URING_SQE, "user_data");
    static final long SQE_BUF_INDEX = off(IO_URING_SQE, "buf_index");
    static final long ARG_TS = off(IO_URING_GETEVENTS_ARG, "ts");

    public static final long CQE_SIZE = IO_URING_CQE.byteSize();

    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_SHARED = 1;
    private static final int MAP_PRIVATE = 2;
    private static final int MAP_ANONYMOUS = 0x20;         // the same on x86-64 and aarch64
    private static final int MAP_POPULATE = 0x8000;

    // The variadic syscall(2): every argument passed as a long (what glibc's
    // wrapper reads with va_arg); the kernel truncates each to its declared type.
    private static final MethodHandle SYSCALL = Linker.nativeLinker().downcallHandle(Posix.symbol("syscall"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                    JAVA_LONG),
            Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    private static final MethodHandle MMAP = Posix.bind("mmap", JAVA_LONG,
            JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG);
    private static final MethodHandle MUNMAP = Posix.bind("munmap", JAVA_INT, JAVA_LONG, JAVA_LONG);

    private static AssertionError linkageFailure(Throwable t) {
        return new AssertionError("FFM downcall failed to link: " + t, t);
    }

    private static long syscall(MemorySegment cs, long nr, long a, long b, long c, long d, long e, long f) {
        try { return (long) SYSCALL.invokeExact(cs, nr, a, b, c, d, e, f); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int io_uring_setup(u32 entries, struct io_uring_params *p);} Returns the ring's fd. */
    public static int ioUringSetup(MemorySegment cs, int entries, MemorySegment params) {
        return (int) syscall(cs, SYS_IO_URING_SETUP, entries, params.address(), 0, 0, 0, 0);
    }

    /**
     * {@code int io_uring_enter(unsigned int fd, u32 to_submit, u32 min_complete, u32 flags,
     * const void *argp, size_t argsz);} Blocks when asked to wait, so never a critical call.
     */
    public static int ioUringEnter(MemorySegment cs, int ringFd, int toSubmit, int minComplete, int flags,
                                   long argp, long argsz) {
        return (int) syscall(cs, SYS_IO_URING_ENTER, ringFd, toSubmit, minComplete, flags, argp, argsz);
    }

    /** {@code int io_uring_register(unsigned int fd, unsigned int opcode, void *arg, unsigned int nr_args);} */
    public static int ioUringRegister(MemorySegment cs, int ringFd, int opcode, long arg, int nrArgs) {
        return (int) syscall(cs, SYS_IO_URING_REGISTER, ringFd, opcode, arg, nrArgs, 0, 0);
    }

    /** {@code void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);} shared, read-write. */
    static long mmapShared(MemorySegment cs, int fd, long length, long offset) {
        try { return (long) MMAP.invokeExact(cs, 0L, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /**
     * Anonymous private memory, mapped but not touched: a page costs RAM only once
     * something is written into it (a provided buffer the kernel fills).
     */
    static MemorySegment mapAnonymous(MemorySegment cs, long size) throws NativeIOException {
        long a;
        try { a = (long) MMAP.invokeExact(cs, 0L, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L); }
        catch (Throwable t) { throw linkageFailure(t); }
        if (a == -1L) throw new NativeIOException("mmap(anonymous, " + size + " bytes)", Posix.errno(cs));
        return MemorySegment.ofAddress(a).reinterpret(size);
    }

    /** One of the ring's three areas, mapped shared. */
    static MemorySegment map(MemorySegment cs, int fd, long size, long offset) throws NativeIOException {
        long a = mmapShared(cs, fd, size, offset);
        if (a == -1L) throw new NativeIOException("mmap(io_uring fd=" + fd + ", offset=0x" + Long.toHexString(offset) + ")", Posix.errno(cs));
        return MemorySegment.ofAddress(a).reinterpret(size);
    }

    /** {@code int munmap(void *addr, size_t len);} */
    static int munmap(MemorySegment cs, long address, long length) {
        try { return (int) MUNMAP.invokeExact(cs, address, length); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /**
     * Unmaps {@code m}, which we mapped: munmap fails only for an address or length
     * we got wrong (EINVAL), a bug, so a failure is thrown, not passed over.
     */
    static void unmap(MemorySegment cs, MemorySegment m) {
        if (munmap(cs, m.address(), m.byteSize()) < 0) {
            throw new IllegalStateException("munmap(" + m.byteSize() + " bytes) failed: " + Errno.name(Posix.errno(cs)));
        }
    }

    // ---------------------------------------------------------------- availability

    private static volatile String probed;        // "" when available, else the reason
    private static final int NEEDED = IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG;

    /**
     * Why io_uring cannot be used here, or null when it can. Probed once, at first
     * use, by a real io_uring_setup (a seccomp filter or {@code kernel.io_uring_disabled}
     * is found only by trying), then closed. Needs IORING_FEAT_NODROP (no completion is
     * ever dropped) and IORING_FEAT_EXT_ARG (a timeout on the wait): Linux 5.11.
     */
    public static String unavailableReason() {
        String r = probed;
        if (r == null) probed = r = probe();
        return r.isEmpty() ? null : r;
    }

    private static String probe() {
        if (!Platform.isLinux()) return "io_uring needs Linux; this is " + System.getProperty("os.name");
        if (!Platform.ARCH.equals("x86_64") && !Platform.ARCH.equals("aarch64")) {
            return "io_uring's system call numbers are known here for x86-64 and aarch64 only, not " + Platform.ARCH;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cs = Posix.newCallState(arena);
            MemorySegment params = arena.allocate(IO_URING_PARAMS);
            int fd = ioUringSetup(cs, 2, params);
            if (fd < 0) return refusal(Posix.errno(cs));
            Posix.close(cs, fd);
            int features = params.get(JAVA_INT, off(IO_URING_PARAMS, "features"));
            if ((features & NEEDED) != NEEDED) {
                return "io_uring here lacks IORING_FEAT_NODROP or IORING_FEAT_EXT_ARG (needs Linux 5.11 or later)";
            }
            return "";
        }
    }

    /** One line saying why io_uring_setup failed, with what /proc says when it has a say. */
    static String refusal(int errno) {
        String setup = "io_uring_setup failed: " + Errno.name(errno) + " (" + Errno.text(errno) + ")";
        String disabled = readDisabled();
        if (errno == Errno.ENOSYS) {
            return setup + ": the kernel has no io_uring (before 5.1, or built without it) or a seccomp filter hides it";
        }
        if (disabled != null && !disabled.equals("0")) {
            return setup + ": kernel.io_uring_disabled is " + disabled
                    + (disabled.equals("1") ? " (only members of kernel.io_uring_group may use it)" : " (off for all)");
        }
        if (errno == Errno.EPERM || errno == Errno.EACCES) {
            return setup + ": forbidden here (a container's seccomp profile, or a security module)";
        }
        return setup;
    }

    private static String readDisabled() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/io_uring_disabled")).strip();
        } catch (IOException | RuntimeException e) {
            return null;                        // older kernels have no such switch
        }
    }
}
