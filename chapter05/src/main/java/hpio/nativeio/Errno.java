package hpio.nativeio;

import java.lang.foreign.MemorySegment;
import java.util.Map;

/**
 * errno values by name for this OS, and their names and texts for messages.
 * Linux and the BSDs number most errors differently, so every constant is chosen
 * here once, by {@link Platform#OS}.
 */
public final class Errno {
    private Errno() {}

    private static final boolean LINUX = Platform.isLinux();

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EBADF = 9;
    public static final int EAGAIN = LINUX ? 11 : 35;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EEXIST = 17;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int EPIPE = 32;
    public static final int ENOSYS = LINUX ? 38 : 78;
    public static final int ENOTSOCK = LINUX ? 88 : 38;
    public static final int EOPNOTSUPP = switch (Platform.OS) {   // the one errno where macOS and FreeBSD differ here
        case LINUX -> 95;
        case FREEBSD -> 45;
        default -> 102;                                       // macOS
    };
    public static final int EADDRINUSE = LINUX ? 98 : 48;
    public static final int EADDRNOTAVAIL = LINUX ? 99 : 49;
    public static final int ENETUNREACH = LINUX ? 101 : 51;
    public static final int ECONNABORTED = LINUX ? 103 : 53;
    public static final int ECONNRESET = LINUX ? 104 : 54;
    public static final int EISCONN = LINUX ? 106 : 56;
    public static final int ENOTCONN = LINUX ? 107 : 57;
    public static final int ETIMEDOUT = LINUX ? 110 : 60;
    public static final int ECONNREFUSED = LINUX ? 111 : 61;
    public static final int EHOSTUNREACH = LINUX ? 113 : 65;
    public static final int EALREADY = LINUX ? 114 : 37;
    public static final int EINPROGRESS = LINUX ? 115 : 36;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(EPERM, "EPERM"), Map.entry(ENOENT, "ENOENT"), Map.entry(EINTR, "EINTR"),
            Map.entry(EBADF, "EBADF"), Map.entry(EAGAIN, "EAGAIN"), Map.entry(ENOMEM, "ENOMEM"),
            Map.entry(EACCES, "EACCES"), Map.entry(EFAULT, "EFAULT"), Map.entry(EEXIST, "EEXIST"),
            Map.entry(EINVAL, "EINVAL"), Map.entry(ENFILE, "ENFILE"), Map.entry(EMFILE, "EMFILE"),
            Map.entry(EPIPE, "EPIPE"), Map.entry(ENOSYS, "ENOSYS"), Map.entry(ENOTSOCK, "ENOTSOCK"),
            Map.entry(EOPNOTSUPP, "EOPNOTSUPP"), Map.entry(EADDRINUSE, "EADDRINUSE"),
            Map.entry(EADDRNOTAVAIL, "EADDRNOTAVAIL"), Map.entry(ENETUNREACH, "ENETUNREACH"),
            Map.entry(ECONNABORTED, "ECONNABORTED"), Map.entry(ECONNRESET, "ECONNRESET"),
            Map.entry(EISCONN, "EISCONN"), Map.entry(ENOTCONN, "ENOTCONN"),
            Map.entry(ETIMEDOUT, "ETIMEDOUT"), Map.entry(ECONNREFUSED, "ECONNREFUSED"),
            Map.entry(EHOSTUNREACH, "EHOSTUNREACH"), Map.entry(EALREADY, "EALREADY"),
            Map.entry(EINPROGRESS, "EINPROGRESS"));

    /** "EEXIST", or "errno 77" for one we have no name for. */
    public static String name(int errno) {
        String n = NAMES.get(errno);
        return n != null ? n : "errno " + errno;
    }

    /** The C library's text for it, e.g. "File exists". */
    public static String text(int errno) {
        MemorySegment s = Posix.strerror(errno);
        return s.equals(MemorySegment.NULL) ? "unknown error" : s.reinterpret(1024).getString(0);
    }
}
