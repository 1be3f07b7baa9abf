package hpio.nativeio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * sysctlbyname(3) of macOS and FreeBSD, for the kernel limits no rlimit shows
 * ({@code kern.maxfilesperproc}). Looked up on first use, so loading this class on
 * Linux, which has no such symbol, does not fail; calling it there does.
 */
public final class BsdSysctl {
    private BsdSysctl() {}

    private static final class Handles {
        static final MethodHandle SYSCTLBYNAME =
                Posix.bind("sysctlbyname", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG);
    }

    /**
     * {@code int sysctlbyname(const char *name, void *oldp, size_t *oldlenp, const void *newp, size_t newlen);}
     */
    public static int sysctlbyname(MemorySegment cs, MemorySegment name, MemorySegment oldp, MemorySegment oldlenp,
                                   MemorySegment newp, long newlen) {
        try { return (int) Handles.SYSCTLBYNAME.invokeExact(cs, name, oldp, oldlenp, newp, newlen); }
        catch (Throwable t) { throw new AssertionError("FFM downcall failed to link: " + t, t); }
    }
}
