package hpio.nativeio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

/**
 * kqueue(2) and kevent(2) of macOS and FreeBSD through FFM.
 *
 * <p>Unlike {@link LinuxEpoll}, this class loads anywhere: its constants and struct
 * layouts are plain data (the Linux tests use them), and the symbols are looked up
 * only on the first call, in {@link Handles}. On Linux there is no {@code kqueue}
 * symbol, so a call there fails to link; nothing else does.
 */
public final class BsdKqueue {
    private BsdKqueue() {}

    // Filters: kqueue watches (ident, filter) pairs, so reading and writing are two
    // separate registrations on one fd, each added and deleted on its own.
    public static final short EVFILT_READ = -1;
    public static final short EVFILT_WRITE = -2;

    // Action flags, in a change (the same values on macOS and FreeBSD). The field is
    // a uint16_t: store with a (short) cast, read with Short.toUnsignedInt.
    public static final int EV_ADD = 0x0001;       // add or modify; also enables
    public static final int EV_DELETE = 0x0002;
    public static final int EV_ENABLE = 0x0004;
    public static final int EV_DISABLE = 0x0008;
    /** Edge-triggered: the filter's state is reset once it is delivered. */
    public static final int EV_CLEAR = 0x0020;
    /** Return every change's result in the eventlist (data = 0 or an errno), not only failures. */
    public static final int EV_RECEIPT = 0x0040;
    // Returned flags.
    /** The filter hit end of file (the peer shut down); fflags then holds the socket error, if any. */
    public static final int EV_EOF = 0x8000;
    /** This entry reports a change that failed; data holds its errno. */
    public static final int EV_ERROR = 0x4000;

    /**
     * {@code struct kevent} as it was before FreeBSD 12 and still is on macOS:
     * {@code uintptr_t ident; int16_t filter; uint16_t flags; uint32_t fflags;
     * intptr_t data; void *udata;}: 32 bytes.
     */
    public static final StructLayout KEVENT_32 = MemoryLayout.structLayout(
            JAVA_LONG.withName("ident"),
            JAVA_SHORT.withName("filter"),
            JAVA_SHORT.withName("flags"),
            JAVA_INT.withName("fflags"),
            JAVA_LONG.withName("data"),
            ADDRESS.withName("udata"));

    /**
     * FreeBSD 12 and later widened it (64-bit data everywhere, plus four extension
     * words): {@code ... int64_t data; void *udata; uint64_t ext[4];}: 64 bytes.
     * The first 32 bytes keep the old offsets.
     */
    public static final StructLayout KEVENT_64 = MemoryLayout.structLayout(
            JAVA_LONG.withName("ident"),
            JAVA_SHORT.withName("filter"),
            JAVA_SHORT.withName("flags"),
            JAVA_INT.withName("fflags"),
            JAVA_LONG.withName("data"),
            ADDRESS.withName("udata"),
            MemoryLayout.sequenceLayout(4, JAVA_LONG).withName("ext"));

    // Field offsets: the same in both layouts (KqueueLayoutTest checks).
    public static final long IDENT_OFFSET = offset("ident");
    public static final long FILTER_OFFSET = offset("filter");
    public static final long FLAGS_OFFSET = offset("flags");
    public static final long FFLAGS_OFFSET = offset("fflags");
    public static final long DATA_OFFSET = offset("data");

    private static long offset(String field) {
        return KEVENT_32.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }

    /**
     * The {@code struct kevent} that this OS's libc {@code kevent} symbol expects.
     * A wrong choice is not a small bug: the kernel would write 64-byte entries
     * into an array sized for 32.
     */
    public static StructLayout keventLayout(Platform.Os os, int freeBsdMajor) {
        // An unreadable FreeBSD version (0) gets the larger layout: guessing 32 bytes on
        // FreeBSD 12+ would let the kernel write past the end of our event array.
        return os == Platform.Os.FREEBSD && (freeBsdMajor >= 12 || freeBsdMajor == 0) ? KEVENT_64 : KEVENT_32;
    }

    /** {@code struct timespec { time_t tv_sec; long tv_nsec; }}: 16 bytes on 64-bit systems. */
    public static final StructLayout TIMESPEC = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"), JAVA_LONG.withName("tv_nsec"));

    /** Looked up on first use only, so loading {@link BsdKqueue} on Linux does not fail. */
    // snippet-start kqueue-handles
    private static final class Handles {
        static final MethodHandle KQUEUE = Posix.bind("kqueue", JAVA_INT);
        static final MethodHandle KEVENT =
                Posix.bind("kevent", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS);
    }
    // snippet-end kqueue-handles

    private static AssertionError linkageFailure(Throwable t) {
        return new AssertionError("FFM downcall failed to link: " + t, t);
    }

    /** {@code int kqueue(void);} */
    public static int kqueue(MemorySegment cs) {
        try { return (int) Handles.KQUEUE.invokeExact(cs); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    /**
     * {@code int kevent(int kq, const struct kevent *changelist, int nchanges,
     * struct kevent *eventlist, int nevents, const struct timespec *timeout);}
     */
    public static int kevent(MemorySegment cs, int kq, MemorySegment changes, int nChanges,
                             MemorySegment events, int nEvents, MemorySegment timeout) {
        try { return (int) Handles.KEVENT.invokeExact(cs, kq, changes, nChanges, events, nEvents, timeout); }
        catch (Throwable t) { throw linkageFailure(t); }
    }

    public static String filterName(short filter) {
        return switch (filter) {
            case EVFILT_READ -> "EVFILT_READ";
            case EVFILT_WRITE -> "EVFILT_WRITE";
            default -> "filter " + filter;
        };
    }
}
