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

    /** FreeBSD's major version (12 changed struct kevent to 64 bytes); 0 when not FreeBSD. */
    public static int freeBsdMajor() {
        if (OS != Os.FREEBSD) return 0;
        String v = System.getProperty("os.version", "0");
        int end = 0;
        while (end < v.length() && Character.isDigit(v.charAt(end))) end++;
        return end == 0 ? 0 : Integer.parseInt(v.substring(0, end));
    }
}
