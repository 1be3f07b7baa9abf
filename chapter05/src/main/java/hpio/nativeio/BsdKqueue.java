package hpio.nativeio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

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
    /**
     * A user event: no fd, raised by a kevent() change with {@link #NOTE_TRIGGER}. Its
     * number differs: -10 in XNU's {@code bsd/sys/event.h}, -11 in FreeBSD's
     * {@code sys/sys/event.h} (there -10 is EVFILT_LIO).
     */
    public static final short EVFILT_USER_MACOS = -10;
    public static final short EVFILT_USER_FREEBSD = -11;
    /** EVFILT_USER's fflags on input: fire the event (both headers: 0x01000000). */
    public static final int NOTE_TRIGGER = 0x01000000;

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

    /** What differs between the kqueue ABIs we speak: the struct kevent and EVFILT_USER's number. */
    public record Abi(String name, StructLayout kevent, short evfiltUser) {
        @Override public String toString() { return name; }
    }

    public static final Abi MACOS = new Abi("macOS", KEVENT_32, EVFILT_USER_MACOS);
    /** libc's {@code kevent@FBSD_1.0}: FreeBSD 11 and older, or a compat symbol since. */
    public static final Abi FREEBSD_11 = new Abi("FreeBSD libc kevent@FBSD_1.0", KEVENT_32, EVFILT_USER_FREEBSD);
    /** libc's {@code kevent@@FBSD_1.5}: FreeBSD 12 and later. */
    public static final Abi FREEBSD_12 = new Abi("FreeBSD libc kevent@@FBSD_1.5", KEVENT_64, EVFILT_USER_FREEBSD);

    /** The ABI of this machine's libc kevent (macOS or FreeBSD only), decided once. */
    public static Abi abi() {
        if (!Platform.isBsd()) throw new UnsupportedOperationException("kqueue exists on macOS and FreeBSD only");
        return Handles.CHOICE.abi();
    }

    /** A decided ABI, and, when the fallback decided it, the one line saying why. */
    public record Choice(Abi abi, String fallbackReason) {}

    /**
     * FreeBSD's kevent ABI, decided from libc's side: the struct is fixed by which
     * {@code kevent} symbol version libc exports, not by the kernel. A FreeBSD 11
     * userland in a jail on a 12+ kernel has a 32-byte kevent whatever
     * {@code os.version} says. Pure, so Linux can test it; on FreeBSD the
     * {@code dlvsym} answers come from {@link Handles}.
     *
     * @param dlvsymPresent whether libc has {@code dlvsym} at all
     * @param fbsd15 whether {@code dlvsym(RTLD_DEFAULT, "kevent", "FBSD_1.5")} found it
     * @param fbsd10 whether {@code dlvsym(RTLD_DEFAULT, "kevent", "FBSD_1.0")} found it
     * @param kernelMajor the os.version rule's input, for the fallback only
     */
    public static Choice freeBsdAbi(boolean dlvsymPresent, boolean fbsd15, boolean fbsd10, int kernelMajor) {
        if (dlvsymPresent && fbsd15) return new Choice(FREEBSD_12, null);
        // Every FreeBSD libc has kevent@FBSD_1.0 (the default before 12, a compat
        // symbol since): when dlvsym cannot find even that, it is a stub that finds
        // nothing, and its "not found" must not be trusted. Guessing 32 bytes on a
        // 12+ libc would let it write 64-byte entries past the end of our array.
        if (dlvsymPresent && fbsd10) return new Choice(FREEBSD_11, null);
        Abi guess = kernelMajor >= 12 || kernelMajor == 0 ? FREEBSD_12 : FREEBSD_11;   // 0: unreadable, take the larger
        return new Choice(guess, "kqueue: " + (dlvsymPresent ? "dlvsym() finds no version of kevent" : "libc has no dlvsym()")
                + ", so struct kevent is guessed from the kernel release (FreeBSD " + kernelMajor + "): "
                + guess.kevent().byteSize() + " bytes; an older userland on a newer kernel (a jail) would be misread");
    }

    /** {@code struct timespec { time_t tv_sec; long tv_nsec; }}: 16 bytes on 64-bit systems. */
    public static final StructLayout TIMESPEC = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"), JAVA_LONG.withName("tv_nsec"));

    /**
     * Looked up on first use only, so loading {@link BsdKqueue} on Linux does not fail.
     * On FreeBSD, kevent is bound through the address of the very symbol version
     * whose struct layout was chosen, so the two cannot disagree.
     */
    // snippet-start kqueue-handles
    private static final class Handles {
        static final Linker LINKER = Linker.nativeLinker();
        /** The decision, and the address of the kevent symbol it was made for. */
        private record Binding(Choice choice, MemorySegment kevent) {}
        static final Binding BINDING = decide();
        static final Choice CHOICE = BINDING.choice();
        static final MethodHandle KQUEUE = Posix.bind("kqueue", JAVA_INT);
        static final MethodHandle KEVENT = LINKER.downcallHandle(BINDING.kevent(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS),
                Linker.Option.captureCallState("errno"));

        private static Binding decide() {
            MemorySegment byDefault = Posix.symbol("kevent");      // the default version
            if (Platform.OS != Platform.Os.FREEBSD) return new Binding(new Choice(MACOS, null), byDefault);
            // This path runs only on FreeBSD: the tests on Linux call freeBsdAbi() with inputs.
            Optional<MemorySegment> dlvsym = LINKER.defaultLookup().find("dlvsym");
            MemorySegment v15 = dlvsym.map(f -> dlvsym(f, "FBSD_1.5")).orElse(MemorySegment.NULL);
            MemorySegment v10 = dlvsym.map(f -> dlvsym(f, "FBSD_1.0")).orElse(MemorySegment.NULL);
            Choice c = freeBsdAbi(dlvsym.isPresent(), !v15.equals(MemorySegment.NULL),
                    !v10.equals(MemorySegment.NULL), Platform.freeBsdMajor());
            if (c.fallbackReason() != null) {
                System.err.println(c.fallbackReason());
                return new Binding(c, byDefault);
            }
            return new Binding(c, c.abi() == FREEBSD_12 ? v15 : v10);
        }

        /** {@code void *dlvsym(void *handle, const char *symbol, const char *version);} NULL when not found. */
        private static MemorySegment dlvsym(MemorySegment function, String version) {
            MethodHandle h = LINKER.downcallHandle(function, FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
            MemorySegment rtldDefault = MemorySegment.ofAddress(-2L);   // FreeBSD's RTLD_DEFAULT, (void *)-2
            try (Arena a = Arena.ofConfined()) {
                return (MemorySegment) h.invokeExact(rtldDefault, a.allocateFrom("kevent"), a.allocateFrom(version));
            } catch (Throwable t) {
                throw linkageFailure(t);
            }
        }
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
            default -> "filter " + filter;       // EVFILT_USER's number depends on the OS: see Abi
        };
    }
}
