package hpio.net;

import hpio.nativeio.NativeIOException;
import hpio.nativeio.Posix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * RLIMIT_NOFILE through getrlimit(2)/setrlimit(2): process-wide, so shared by both
 * socket layers. A proxied connection costs two descriptors.
 */
public final class OpenFiles {
    private OpenFiles() {}

    /** The soft and hard limits. */
    public record Limit(long soft, long hard) {}

    public static Limit current() throws NativeIOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cs = Posix.newCallState(arena);
            MemorySegment rl = arena.allocate(Posix.RLIMIT);
            if (Posix.getrlimit(cs, Posix.RLIMIT_NOFILE, rl) < 0) {
                throw new NativeIOException("getrlimit(RLIMIT_NOFILE)", Posix.errno(cs));
            }
            return new Limit(rl.get(ValueLayout.JAVA_LONG, 0), rl.get(ValueLayout.JAVA_LONG, 8));
        }
    }

    /**
     * Raises the soft limit to the hard one (as a server should at start) and
     * returns the limit now in force. macOS reports an "unlimited" hard limit but
     * refuses more than OPEN_MAX (10240) for the soft one, so we retry with that.
     */
    public static Limit raiseSoftToHard() throws NativeIOException {
        Limit now = current();
        if (now.soft() == now.hard()) return now;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cs = Posix.newCallState(arena);
            MemorySegment rl = arena.allocate(Posix.RLIMIT);
            rl.set(ValueLayout.JAVA_LONG, 0, now.hard());
            rl.set(ValueLayout.JAVA_LONG, 8, now.hard());
            if (Posix.setrlimit(cs, Posix.RLIMIT_NOFILE, rl) < 0) {
                rl.set(ValueLayout.JAVA_LONG, 0, Math.min(now.hard(), 10240));
                if (Posix.setrlimit(cs, Posix.RLIMIT_NOFILE, rl) < 0) {
                    throw new NativeIOException("setrlimit(RLIMIT_NOFILE)", Posix.errno(cs));
                }
            }
        }
        return current();
    }
}
