package hpio.net;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import hpio.nativeio.BsdSysctl;
import hpio.nativeio.NativeIOException;
import hpio.nativeio.Platform;
import hpio.nativeio.Posix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * RLIMIT_NOFILE through getrlimit(2)/setrlimit(2): process-wide, so shared by both
 * socket layers. A server raises its soft limit toward the hard one at start.
 *
 * <p>The hard limit is not always a number of files. On macOS it is normally
 * RLIM_INFINITY (2^63 - 1): XNU accepts a soft limit of "infinity" too, and what
 * it really enforces is the smaller of the soft limit and the sysctl
 * {@code kern.maxfilesperproc} (Go's {@code os/rlimit_darwin.go} clamps the same
 * way). Sizing anything by 2^63 would be a disaster, so the figure this class
 * returns is the one the kernel will enforce.
 */
public final class OpenFiles {
    private OpenFiles() {}

    /** OPEN_MAX of macOS's limits.h: what older macOS accepts at most for the soft limit. */
    static final long OPEN_MAX = 10240;

    /**
     * @param soft the number of fds the process may really have open now
     * @param hard the hard limit as the kernel reports it (RLIM_INFINITY included)
     * @param how  how the figure was found, for the start-up line
     */
    public record Limit(long soft, long hard, String how) {
        /** One phrase for a log line: "open files 20000 (...)". */
        public String describe() { return "open files " + soft + ": " + how; }
    }

    /** What {@link #raise} needs from the kernel: a seam, so the macOS path can be tested on Linux. */
    interface Kernel {
        /** {rlim_cur, rlim_max} */
        long[] getrlimit() throws NativeIOException;

        /** @return whether the kernel accepted it */
        boolean setrlimit(long soft, long hard);

        /** kern.maxfilesperproc on macOS and FreeBSD; -1 where there is none or it cannot be read. */
        long maxFilesPerProc();
    }

    static boolean isInfinite(long rlim) {
        return rlim < 0 || rlim == Long.MAX_VALUE;   // Linux: ~0 (-1 here); macOS and FreeBSD: 2^63 - 1
    }

    /** The limits as they are, the soft one read as what is enforced. */
    public static Limit current() throws NativeIOException {
        Kernel k = new LibcKernel();
        long[] now = k.getrlimit();
        long ceiling = k.maxFilesPerProc();
        return new Limit(enforced(now[0], ceiling), now[1], "as found");
    }

    private static long enforced(long soft, long ceiling) {
        long s = isInfinite(soft) ? Long.MAX_VALUE : soft;
        return ceiling > 0 ? Math.min(s, ceiling) : s;
    }

    /** Raises the soft limit as far as the kernel will honour (never lowers it) and returns what is in force. */
    public static Limit raiseSoftToHard() throws NativeIOException {
        return raise(new LibcKernel());
    }

    static Limit raise(Kernel k) throws NativeIOException {
        long[] now = k.getrlimit();
        long soft = now[0], hard = now[1];
        long ceiling = k.maxFilesPerProc();
        long target;
        String why;
        if (isInfinite(hard)) {
            target = ceiling > 0 ? ceiling : OPEN_MAX;
            why = ceiling > 0 ? "the hard limit is unlimited; kern.maxfilesperproc is " + ceiling
                    : "the hard limit is unlimited and no per-process maximum could be read; using OPEN_MAX";
        } else if (ceiling > 0 && hard > ceiling) {
            target = ceiling;
            why = "hard limit " + hard + ", capped by kern.maxfilesperproc " + ceiling;
        } else {
            target = hard;
            why = "the hard limit";
        }
        long enforcedNow = enforced(soft, ceiling);
        if (enforcedNow >= target) {
            return new Limit(enforcedNow, hard, "soft limit " + enforcedNow + " kept (never lowered; " + why + ")");
        }
        if (k.setrlimit(target, hard)) return new Limit(target, hard, "soft limit raised to " + why);
        // Older macOS refuses a soft limit above OPEN_MAX whatever the hard limit says.
        if (target > OPEN_MAX && enforcedNow < OPEN_MAX && k.setrlimit(OPEN_MAX, hard)) {
            return new Limit(OPEN_MAX, hard, "soft limit raised to OPEN_MAX (the kernel refused " + target + ")");
        }
        return new Limit(enforcedNow, hard, "the kernel refused to raise the soft limit to " + target);
    }

    /** The real calls. */
    private static final class LibcKernel implements Kernel {
        private final Arena arena = Arena.ofAuto();
        private final MemorySegment cs = Posix.newCallState(arena);
        private final MemorySegment rl = arena.allocate(Posix.RLIMIT);

        @Override
        public long[] getrlimit() throws NativeIOException {
            if (Posix.getrlimit(cs, Posix.RLIMIT_NOFILE, rl) < 0) {
                throw new NativeIOException("getrlimit(RLIMIT_NOFILE)", Posix.errno(cs));
            }
            return new long[] {rl.get(JAVA_LONG, 0), rl.get(JAVA_LONG, 8)};
        }

        @Override
        public boolean setrlimit(long soft, long hard) {
            rl.set(JAVA_LONG, 0, soft);
            rl.set(JAVA_LONG, 8, hard);
            return Posix.setrlimit(cs, Posix.RLIMIT_NOFILE, rl) == 0;
        }

        @Override
        public long maxFilesPerProc() {
            if (!Platform.isBsd()) return -1;
            MemorySegment value = arena.allocate(JAVA_INT);
            MemorySegment length = arena.allocate(JAVA_LONG);
            length.set(JAVA_LONG, 0, 4);
            int r = BsdSysctl.sysctlbyname(cs, arena.allocateFrom("kern.maxfilesperproc"), value, length,
                    MemorySegment.NULL, 0);
            return r == 0 ? value.get(JAVA_INT, 0) : -1;
        }
    }
}
