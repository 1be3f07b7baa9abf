package hpio.nativeio;

import java.util.Locale;

/** Which kernel we run on; decides which struct layouts and constants apply. */
public final class Platform {
    public enum Os { LINUX, MACOS, FREEBSD, OTHER }

    public static final Os OS = detectOs(System.getProperty("os.name", ""));
    /** "x86_64" or "aarch64" (the JDK says "amd64" on Linux x86-64; we normalise it). */
    public static final String ARCH = normaliseArch(System.getProperty("os.arch", ""));

    private Platform() {}

    public static boolean isLinux() { return OS == Os.LINUX; }

    /** macOS and FreeBSD share kqueue and the BSD socket constants. */
    public static boolean isBsd() { return OS == Os.MACOS || OS == Os.FREEBSD; }

    static Os detectOs(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.startsWith("linux")) return Os.LINUX;
        if (n.startsWith("mac") || n.startsWith("darwin")) return Os.MACOS;
        if (n.startsWith("freebsd")) return Os.FREEBSD;
        return Os.OTHER;
    }

    static String normaliseArch(String arch) {
        return switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
    }

    /**
     * The FreeBSD kernel's major version from {@code os.version}; 0 when not FreeBSD.
     * Only the fallback of {@link BsdKqueue#freeBsdAbi} reads it: struct kevent's size
     * is fixed by libc's symbol version, and a jail can run an older libc than the kernel.
     */
    public static int freeBsdMajor() {
        return OS == Os.FREEBSD ? freeBsdMajor(System.getProperty("os.version", "")) : 0;
    }

    /** "12.4-RELEASE-p3" gives 12; anything without leading digits gives 0 (unreadable). */
    static int freeBsdMajor(String osVersion) {
        int end = 0;
        while (end < osVersion.length() && end < 9 && Character.isDigit(osVersion.charAt(end))) end++;
        return end == 0 ? 0 : Integer.parseInt(osVersion.substring(0, end));
    }
}
