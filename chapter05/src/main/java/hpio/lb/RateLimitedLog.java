package hpio.lb;

import java.io.PrintStream;
import java.util.concurrent.TimeUnit;

/**
 * Logs a message of one kind at most once a second, so a flood of refusals cannot
 * flood the log. Ask {@link #due} before building an expensive message: a refused
 * one then costs nothing.
 */
final class RateLimitedLog {
    enum Kind { ACCEPT, POOL, NO_UPSTREAM, REGISTER, CONNECT, CLOSE, MEMORY, FAILURE }

    private static final long INTERVAL = TimeUnit.SECONDS.toNanos(1);
    private final PrintStream out;
    private final long[] lastNanos = new long[Kind.values().length];
    private final boolean[] ever = new boolean[Kind.values().length];

    RateLimitedLog(PrintStream out) { this.out = out; }

    /** True (and the clock of this kind restarted) when a message of this kind may be printed now. */
    boolean due(Kind kind) {
        long now = System.nanoTime();
        int k = kind.ordinal();
        if (ever[k] && now - lastNanos[k] < INTERVAL) return false;
        ever[k] = true;
        lastNanos[k] = now;
        return true;
    }

    void log(Kind kind, String message) {
        if (due(kind)) out.println(message);
    }
}
