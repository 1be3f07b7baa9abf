package hpio.nativeio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

/**
 * Linux's epoll(7) and eventfd(2) through FFM. Load this class only on Linux: its
 * symbols do not exist elsewhere.
 */
public final class LinuxEpoll {
    private LinuxEpoll() {}

    public static final int EPOLLIN = 0x001;
    public static final int EPOLLOUT = 0x004;
    public static final int EPOLLERR = 0x008;
    public static final int EPOLLHUP = 0x010;
    /** The peer shut down its write side (it sent FIN): reads will reach EOF. */
    public static final int EPOLLRDHUP = 0x2000;
    public static final int EPOLLET = 1 << 31;

    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLL_CTL_MOD = 3;
    public static final int EPOLL_CLOEXEC = 0x80000;
    public static final int EFD_CLOEXEC = 0x80000;
    public static final int EFD_NONBLOCK = 0x800;

    /**
     * {@code struct epoll_event { uint32_t events; epoll_data_t data; }}. On x86-64
     * the kernel declares it {@code __attribute__((packed))}: 12 bytes, the 64-bit
     * data at offset 4 (so it needs an unaligned long layout; JDK 25 rejects an
     * aligned one there). On every other architecture it is naturally aligned: 16
     * bytes, data at offset 8.
     */
    // snippet-start epoll-event-layout
    public static StructLayout epollEventLayout(String arch) {
        if (arch.equals("x86_64")) {
            return MemoryLayout.structLayout(
                    JAVA_INT.withName("events"), JAVA_LONG_UNALIGNED.withName("data"));
        }
        return MemoryLayout.structLayout(
                JAVA_INT.withName("events"), MemoryLayout.paddingLayout(4), JAVA_LONG.withName("data"));
    }
    // snippet-end epoll-event-layout

    public static final StructLayout EPOLL_EVENT = epollEventLayout(Platform.ARCH);
    public static final long EVENT_SIZE = EPOLL_EVENT.byteSize();
    public static final long DATA_OFFSET =
            EPOLL_EVENT.byteOffset(MemoryLayout.PathElement.groupElement("data"));

    // snippet-start epoll-bindings
    private static final MethodHandle EPOLL_CREATE1 = Posix.bind("epoll_create1", JAVA_INT, JAVA_INT);
    private static final MethodHandle EPOLL_CTL =
            Posix.bind("epoll_ctl", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);
    private static final MethodHandle EPOLL_WAIT =
            Posix.bind("epoll_wait", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
    // snippet-end epoll-bindings
    private static final MethodHandle EVENTFD = Posix.bind("eventfd", JAVA_INT, JAVA_INT, JAVA_INT);

    private static AssertionError linkageFailure(Throwable t) {
        return new AssertionError("FFM downcall failed to link: " + t, t);
    }

    /** {@code int epoll_create1(int flags);} */
    public static int epollCreate1(MemorySegment cs, int flags) {
        try { return (int) EPOLL_CREATE1.invokeExact(cs, flags); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    // snippet-start epoll-ctl-binding
    /** {@code int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);} */
    public static int epollCtl(MemorySegment cs, int epfd, int op, int fd, MemorySegment event) {
        try { return (int) EPOLL_CTL.invokeExact(cs, epfd, op, fd, event); }
        catch (Throwable t) { throw linkageFailure(t); }
    }
    // snippet-end epoll-ctl-binding

    /** {@code int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout);} */
    public static int epollWait(MemorySegment cs, int epfd, MemorySegment events, int maxEvents, int timeoutMillis) {
        try { return (int) EPOLL_WAIT.invokeExact(cs, epfd, events, maxEvents, timeoutMillis); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /** {@code int eventfd(unsigned int initval, int flags);} */
    public static int eventfd(MemorySegment cs, int initialValue, int flags) {
        try { return (int) EVENTFD.invokeExact(cs, initialValue, flags); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    public static String ctlOpName(int op) {
        return switch (op) {
            case EPOLL_CTL_ADD -> "ADD";
            case EPOLL_CTL_DEL -> "DEL";
            case EPOLL_CTL_MOD -> "MOD";
            default -> String.valueOf(op);
        };
    }
}
