package hpio.measure;

import hpio.loop.EventLoops;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The settings of {@code make soak}, read from the environment (make passes its
 * variables there), each checked with one line that says what is wrong:
 *
 * <pre>
 *   DURATION=60        seconds of load and faults per backend
 *   BACKEND=auto       the balancer's event backend: auto | select | poll | epoll | kqueue | io_uring
 *                      | nio, io_uring-completion (the proactor: io_uring operations, not an event
 *                      loop), or all: every one available here, one after another
 *   THREADS=1          the balancer's --threads (passed only when not 1, and only if it has the option;
 *                      io_uring-completion runs one loop, so all leaves it out above 1)
 *   SEED=...           the fault injector's and the load's random seed (default: from the clock;
 *                      the report prints it, so a run can be repeated)
 *   CONNS=16           clients running transfers at once
 *   MAX_CONNS=200      the balancer's --max-conns (the burst fault goes 50 past it)
 *   RSS_BOUND=64       MB the balancer's resident set may grow over the run
 *   JAVA_OPTS=...      JVM flags for the balancer (the launcher's default otherwise)
 * </pre>
 *
 * An empty variable counts as unset, as make's {@code VAR=} leaves it.
 */
record SoakSettings(int durationSeconds, List<String> backends, int threads, long seed, int connections,
                    int maxConns, int rssBoundMb, String javaOpts) {
    /** The balancer's completion path ({@code -e io_uring-completion}). */
    static final String COMPLETION = StressSettings.COMPLETION;

    /** A setting that cannot be used: its message is the one line the user sees. */
    static final class BadSetting extends IllegalArgumentException {
        BadSetting(String message) { super(message); }
    }

    static SoakSettings parse(Map<String, String> env) {
        int duration = number(env, "DURATION", "60", 5, 86_400);
        String backend = get(env, "BACKEND", "auto");
        int threads = number(env, "THREADS", "1", 1, 64);
        // The completion path is no event loop (EventLoops does not list it), but it
        // runs wherever io_uring does, and a soak is where its in-flight buffers prove out.
        String uring = EventLoops.unavailableReason("io_uring");
        List<String> backends = new ArrayList<>();
        if (backend.equals("all")) {
            for (String n : EventLoops.allNames()) if (EventLoops.isAvailable(n)) backends.add(n);
            if (uring == null && threads == 1) backends.add(COMPLETION);
        } else if (backend.equals(COMPLETION)) {
            if (uring != null) throw new BadSetting("BACKEND=" + backend + ": " + uring + " (or all)");
            if (threads != 1) throw new BadSetting("BACKEND=" + backend + " runs one loop: leave THREADS at 1");
            backends.add(COMPLETION);
        } else {
            String why = EventLoops.unavailableReason(backend);
            if (why != null) throw new BadSetting("BACKEND=" + backend + ": " + why + " (or all)");
            backends.add(EventLoops.resolve(backend));
        }
        String seedText = get(env, "SEED", "");
        long seed;
        if (seedText.isEmpty()) {
            seed = System.currentTimeMillis() % 100_000;
        } else if (seedText.matches("-?[0-9]{1,18}")) {
            seed = Long.parseLong(seedText);
        } else {
            throw new BadSetting("SEED must be a whole number, not '" + seedText + "'");
        }
        int conns = number(env, "CONNS", "16", 1, 1000);
        int maxConns = number(env, "MAX_CONNS", "200", conns + 40, 4000);
        int rss = number(env, "RSS_BOUND", "64", 1, 100_000);
        return new SoakSettings(duration, List.copyOf(backends), threads, seed, conns, maxConns, rss,
                get(env, "JAVA_OPTS", ""));
    }

    private static String get(Map<String, String> env, String name, String fallback) {
        String v = env.get(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    private static int number(Map<String, String> env, String name, String fallback, int min, int max) {
        String v = get(env, name, fallback);
        if (!v.matches("[0-9]{1,9}") || Integer.parseInt(v) < min || Integer.parseInt(v) > max) {
            throw new BadSetting(name + " must be a whole number from " + min + " to " + max + ", not '" + v + "'");
        }
        return Integer.parseInt(v);
    }

    /** The test's short soak: one backend, a few clients, a fixed seed. */
    SoakSettings with(int seconds, String backend) {
        return new SoakSettings(seconds, List.of(backend), threads, seed, connections, maxConns, rssBoundMb, javaOpts);
    }
}
