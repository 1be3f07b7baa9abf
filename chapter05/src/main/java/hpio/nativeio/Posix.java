package hpio.nativeio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The POSIX calls shared by Linux, macOS and FreeBSD (sockets, fds, poll, select,
 * rlimits), bound by hand through FFM.
 *
 * <p>Every binding returns the raw C result and takes, first, the caller's
 * call-state segment: {@code Linker.Option.captureCallState("errno")} copies errno
 * there right after the call, before the JVM can clobber it. Each event loop and
 * socket layer allocates that segment once ({@link #newCallState}), so no call
 * allocates. The callers turn a negative result into a {@link NativeIOException}.
 */
public final class Posix {
    private Posix() {}

    // snippet-start errno-capture
    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    // snippet-end errno-capture

    private static final boolean LINUX = Platform.isLinux();

    // ---- constants that differ between Linux and the BSDs ----
    public static final int AF_INET = 2;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_NONBLOCK = 0x800;       // Linux only: 04000
    public static final int SOCK_CLOEXEC = 0x80000;      // Linux only: 02000000
    public static final int SOL_SOCKET = LINUX ? 1 : 0xffff;
    public static final int SO_REUSEADDR = LINUX ? 2 : 4;
    public static final int SO_ERROR = LINUX ? 4 : 0x1007;
    /**
     * Lets several sockets bind one port (--threads). Linux (asm-generic/socket.h: 15)
     * spreads new connections over the group by a hash of the 4-tuple; macOS's
     * SO_REUSEPORT (sys/socket.h: 0x0200) only allows the sharing and does not
     * spread; FreeBSD 12+ spreads with SO_REUSEPORT_LB (0x00010000), used there.
     */
    public static final int SO_REUSEPORT = LINUX ? 15 : Platform.OS == Platform.Os.FREEBSD ? 0x00010000 : 0x0200;
    /** macOS has no MSG_NOSIGNAL; it sets this on the socket instead. */
    public static final int SO_NOSIGPIPE = Platform.OS == Platform.Os.FREEBSD ? 0x0800 : 0x1022;
    public static final int IPPROTO_TCP = 6;
    public static final int TCP_NODELAY = 1;
    public static final int SHUT_WR = 1;
    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    public static final int FD_CLOEXEC = 1;
    public static final int O_NONBLOCK = LINUX ? 0x800 : 4;
    public static final int MSG_NOSIGNAL = switch (Platform.OS) {
        case LINUX -> 0x4000;
        case FREEBSD -> 0x20000;
        default -> 0;                                    // macOS: SO_NOSIGPIPE instead
    };
    public static final int RLIMIT_NOFILE = LINUX ? 7 : 8;

    public static final short POLLIN = 0x1;
    public static final short POLLOUT = 0x4;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    public static final short POLLNVAL = 0x20;

    /** {@code struct pollfd { int fd; short events; short revents; }}: 8 bytes everywhere. */
    public static final StructLayout POLLFD = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"), JAVA_SHORT.withName("revents"));

    /** {@code fd_set}: FD_SETSIZE bits (1024), 128 bytes, on Linux, macOS and FreeBSD. */
    public static final int FD_SETSIZE = 1024;
    public static final MemoryLayout FD_SET = MemoryLayout.sequenceLayout(FD_SETSIZE / 64, JAVA_LONG);

    /** {@code struct timeval}: a 64-bit tv_sec, then tv_usec (long on Linux, int plus padding on macOS). */
    public static final StructLayout TIMEVAL = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"), JAVA_LONG.withName("tv_usec"));

    /** {@code struct rlimit { rlim_t rlim_cur; rlim_t rlim_max; }}: two uint64. */
    public static final StructLayout RLIMIT = MemoryLayout.structLayout(
            JAVA_LONG.withName("rlim_cur"), JAVA_LONG.withName("rlim_max"));

    /**
     * {@code struct sockaddr_in}: 16 bytes. Linux starts with a 16-bit family; the
     * BSDs with an 8-bit length then an 8-bit family. Port and address are big-endian.
     */
    public static final long SOCKADDR_IN_SIZE = 16;

    // ---- bindings ----
    private static final MethodHandle SOCKET = bind("socket", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle SETSOCKOPT =
            bind("setsockopt", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle GETSOCKOPT =
            bind("getsockopt", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle BIND = bind("bind", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle LISTEN = bind("listen", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle ACCEPT = bind("accept", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle ACCEPT4 = LINUX
            ? bind("accept4", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT) : null;
    private static final MethodHandle CONNECT = bind("connect", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle GETSOCKNAME = bind("getsockname", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
    // The buffer pointer is passed as a plain 64-bit integer (the same register
    // as a pointer on x86-64 and aarch64): the caller adds its offset to a base
    // address, so the hot path never makes a slice object.
    private static final MethodHandle READ = bindNonBlocking("read", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle WRITE = bindNonBlocking("write", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle SEND =
            bindNonBlocking("send", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT);
    private static final MethodHandle SHUTDOWN = bind("shutdown", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle CLOSE = bind("close", JAVA_INT, JAVA_INT);
    private static final MethodHandle FCNTL = LINKER.downcallHandle(symbol("fcntl"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(2), CAPTURE_ERRNO);
    private static final MethodHandle PIPE = bind("pipe", JAVA_INT, ADDRESS);
    private static final MethodHandle POLL = pollHandle();
    private static final MethodHandle SELECT =
            bind("select", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
    private static final MethodHandle GETRLIMIT = bind("getrlimit", JAVA_INT, JAVA_INT, ADDRESS);
    private static final MethodHandle SETRLIMIT = bind("setrlimit", JAVA_INT, JAVA_INT, ADDRESS);
    private static final MethodHandle STRERROR = LINKER.downcallHandle(symbol("strerror"),
            FunctionDescriptor.of(ADDRESS, JAVA_INT));

    static MemorySegment symbol(String name) {
        return LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("the C library has no " + name + "()"));
    }

    // snippet-start posix-bind
    /** A downcall handle for {@code name} whose first parameter is the errno call-state segment. */
    static MethodHandle bind(String name, ValueLayout result, MemoryLayout... args) {
        return LINKER.downcallHandle(symbol(name), FunctionDescriptor.of(result, args), CAPTURE_ERRNO);
    }
    // snippet-end posix-bind

    private static final boolean CRITICAL = !Boolean.getBoolean("hpio.ffm.noCritical");

    /**
     * For the calls on the hot path that never block (read and send on
     * non-blocking sockets): {@code Linker.Option.critical} skips the JVM's thread
     * state transition around the call, a few dozen nanoseconds each time. Never
     * for epoll_wait, poll or select, which block: a critical call holds up the GC.
     */
    static MethodHandle bindNonBlocking(String name, ValueLayout result, MemoryLayout... args) {
        if (!CRITICAL) return bind(name, result, args);
        return LINKER.downcallHandle(symbol(name), FunctionDescriptor.of(result, args),
                CAPTURE_ERRNO, Linker.Option.critical(false));
    }

    /** nfds_t is unsigned long on Linux but unsigned int on macOS: adapt so callers always pass a long. */
    private static MethodHandle pollHandle() {
        if (Platform.OS != Platform.Os.MACOS) return bind("poll", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
        MethodHandle h = bind("poll", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
        return MethodHandles.explicitCastArguments(h,
                MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class, long.class, int.class));
    }

    // snippet-start errno-read
    /** A call-state segment to pass as the first argument of every binding; allocate one per owner, once. */
    public static MemorySegment newCallState(Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    /** The errno that the last call made with this call state captured. */
    public static int errno(MemorySegment callState) {
        return (int) ERRNO.get(callState, 0L);
    }
    // snippet-end errno-read

    private static AssertionError linkageFailure(Throwable t) {
        return new AssertionError("FFM downcall failed to link: " + t, t);
    }

    /** {@code int socket(int domain, int type, int protocol);} */
    public static int socket(MemorySegment cs, int domain, int type, int protocol) {
        try { return (int) SOCKET.invokeExact(cs, domain, type, protocol); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen);} */
    public static int setsockopt(MemorySegment cs, int fd, int level, int opt, MemorySegment val, int len) {
        try { return (int) SETSOCKOPT.invokeExact(cs, fd, level, opt, val, len); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen);} */
    public static int getsockopt(MemorySegment cs, int fd, int level, int opt, MemorySegment val, MemorySegment len) {
        try { return (int) GETSOCKOPT.invokeExact(cs, fd, level, opt, val, len); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int bind(int fd, const struct sockaddr *addr, socklen_t len);} */
    public static int bind(MemorySegment cs, int fd, MemorySegment addr, int len) {
        try { return (int) BIND.invokeExact(cs, fd, addr, len); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int listen(int fd, int backlog);} */
    public static int listen(MemorySegment cs, int fd, int backlog) {
        try { return (int) LISTEN.invokeExact(cs, fd, backlog); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int accept(int fd, struct sockaddr *addr, socklen_t *len);} */
    public static int accept(MemorySegment cs, int fd, MemorySegment addr, MemorySegment len) {
        try { return (int) ACCEPT.invokeExact(cs, fd, addr, len); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);} Linux only. */
    public static int accept4(MemorySegment cs, int fd, MemorySegment addr, MemorySegment len, int flags) {
        try { return (int) ACCEPT4.invokeExact(cs, fd, addr, len, flags); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int connect(int fd, const struct sockaddr *addr, socklen_t len);} */
    public static int connect(MemorySegment cs, int fd, MemorySegment addr, int len) {
        try { return (int) CONNECT.invokeExact(cs, fd, addr, len); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int getsockname(int fd, struct sockaddr *addr, socklen_t *len);} */
    public static int getsockname(MemorySegment cs, int fd, MemorySegment addr, MemorySegment len) {
        try { return (int) GETSOCKNAME.invokeExact(cs, fd, addr, len); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code ssize_t read(int fd, void *buf, size_t count);} with {@code buf} as a raw address. */
    public static long read(MemorySegment cs, int fd, long address, long count) {
        try { return (long) READ.invokeExact(cs, fd, address, count); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code ssize_t write(int fd, const void *buf, size_t count);} with {@code buf} as a raw address. */
    public static long write(MemorySegment cs, int fd, long address, long count) {
        try { return (long) WRITE.invokeExact(cs, fd, address, count); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code ssize_t send(int fd, const void *buf, size_t len, int flags);} with {@code buf} as a raw address. */
    public static long send(MemorySegment cs, int fd, long address, long count, int flags) {
        try { return (long) SEND.invokeExact(cs, fd, address, count, flags); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int shutdown(int fd, int how);} */
    public static int shutdown(MemorySegment cs, int fd, int how) {
        try { return (int) SHUTDOWN.invokeExact(cs, fd, how); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int close(int fd);} */
    public static int close(MemorySegment cs, int fd) {
        try { return (int) CLOSE.invokeExact(cs, fd); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int fcntl(int fd, int cmd, ... /* int arg *\/);} (variadic after cmd) */
    public static int fcntl(MemorySegment cs, int fd, int cmd, int arg) {
        try { return (int) FCNTL.invokeExact(cs, fd, cmd, arg); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int pipe(int fds[2]);} */
    public static int pipe(MemorySegment cs, MemorySegment fds) {
        try { return (int) PIPE.invokeExact(cs, fds); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int poll(struct pollfd *fds, nfds_t nfds, int timeout);} */
    public static int poll(MemorySegment cs, MemorySegment fds, long nfds, int timeoutMillis) {
        try { return (int) POLL.invokeExact(cs, fds, nfds, timeoutMillis); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int select(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds, struct timeval *timeout);} */
    public static int select(MemorySegment cs, int nfds, MemorySegment readFds, MemorySegment writeFds,
                             MemorySegment exceptFds, MemorySegment timeout) {
        try { return (int) SELECT.invokeExact(cs, nfds, readFds, writeFds, exceptFds, timeout); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int getrlimit(int resource, struct rlimit *rlim);} */
    public static int getrlimit(MemorySegment cs, int resource, MemorySegment rlim) {
        try { return (int) GETRLIMIT.invokeExact(cs, resource, rlim); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int setrlimit(int resource, const struct rlimit *rlim);} */
    public static int setrlimit(MemorySegment cs, int resource, MemorySegment rlim) {
        try { return (int) SETRLIMIT.invokeExact(cs, resource, rlim); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code char *strerror(int errnum);} Only for messages, never on a hot path. */
    static MemorySegment strerror(int errno) {
        try { return (MemorySegment) STRERROR.invokeExact(errno); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    // ---- struct sockaddr_in ----

    /** Fills a 16-byte sockaddr_in for an IPv4 address (network order) and port. */
    public static void encodeSockaddrIn(MemorySegment sa, int ipv4, int port) {
        sa.fill((byte) 0);
        if (LINUX) {
            sa.set(JAVA_SHORT, 0, (short) AF_INET);
        } else {
            sa.set(JAVA_BYTE, 0, (byte) SOCKADDR_IN_SIZE);   // sin_len
            sa.set(JAVA_BYTE, 1, (byte) AF_INET);
        }
        sa.set(JAVA_SHORT_BE, 2, (short) port);
        sa.set(JAVA_INT_BE, 4, ipv4);
    }

    public static int sockaddrInPort(MemorySegment sa) {
        return Short.toUnsignedInt(sa.get(JAVA_SHORT_BE, 2));
    }

    public static int sockaddrInAddress(MemorySegment sa) {
        return sa.get(JAVA_INT_BE, 4);
    }

    private static final ValueLayout.OfShort JAVA_SHORT_BE =
            JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN).withByteAlignment(1);
    private static final ValueLayout.OfInt JAVA_INT_BE =
            JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN).withByteAlignment(1);
}
