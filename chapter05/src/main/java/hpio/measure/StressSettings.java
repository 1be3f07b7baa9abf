package hpio.measure;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The settings of {@code make stress}, read from the environment (make passes its
 * variables there), each checked with one line that says what is wrong:
 *
 * <pre>
 *   DURATION=5                 seconds measured per row (WARMUP=2 before it: JIT and caches settle)
 *   SCENARIOS=100,1000,5000,close50,bulk
 *                              N = keep-alive HTTP over N connections;
 *                              closeN = N connections, one request each ("Connection: close");
 *                              10k (or max) = the chapter's 10,000 keep-alive connections, or the
 *                              most the open-files limit allows ({@link MaxConnections});
 *                              bulk = one large transfer through each row, in Gb/s (iperf3
 *                              when installed, else the built-in {@link BulkTool})
 *   LOAD=auto|wrk|builtin      the load tool; auto: wrk (and iperf3 for bulk) when installed,
 *                              else the built-in Java generator (hpio.measure.LoadGenerator)
 *                              and BulkTool
 *   PEERS=auto|none            none: the peer rows act as if haproxy and nginx were not installed
 *   BACKEND=demo|nginx         what answers: two demo backends (default) or one nginx with two
 *                              server blocks; weights 3 and 2 either way
 *   ROWS=all                   or a subset: direct,select,poll,epoll,io_uring,io_uring-completion,epoll-et,
 *                              kqueue,nio,haproxy,nginx
 *   JAVA_OPTS=...              JVM flags for the balancer (the launcher's default otherwise)
 *   THREADS=1|N|auto           event loops in every proxy: high_perf_lb --threads N, HAProxy
 *                              nbthread N, nginx worker_processes N with reuseport (auto: the cores)
 *   STRESS_PORT=28080          the proxy's port; the backends use the next two, the bulk
 *                              server the third
 * </pre>
 *
 * An empty variable counts as unset, as make's {@code VAR=} leaves it.
 */
record StressSettings(int durationSeconds, int warmupSeconds, List<Scenario> scenarios, String load,
                      boolean peers, String backend, List<String> rows, int proxyPort, String javaOpts,
                      int threads) {

    /** A setting that cannot be used: its message is the one line the user sees. */
    static final class BadSetting extends IllegalArgumentException {
        BadSetting(String message) { super(message); }
    }

    /**
     * One load shape: N connections, keep-alive or one request each ("Connection:
     * close"); the chapter's maximum (keep-alive, N as {@link MaxConnections} sizes
     * it); or one bulk flow.
     */
    record Scenario(int connections, boolean close, Kind kind) {
        enum Kind { REQUESTS, MAX, BULK }

        static final String BULK_LABEL = "bulk";

        /** What SCENARIOS=10k asks for, before the open-files limit has its say. */
        static final Scenario MAX = new Scenario(MaxConnections.CHAPTER, false, Kind.MAX);
        static final Scenario BULK = new Scenario(1, false, Kind.BULK);

        Scenario(int connections, boolean close) { this(connections, close, Kind.REQUESTS); }

        /**
         * "keep-alive, 1,000 conns", "close, 50 conns", "max: keep-alive, 9,980 conns"
         * or "bulk, 1 flow": the table's first column.
         */
        String label() {
            return switch (kind) {
                case BULK -> BULK_LABEL + ", 1 flow";
                case MAX -> "max: keep-alive, " + Numbers.group(connections) + " conns";
                case REQUESTS -> (close ? "close, " : "keep-alive, ") + Numbers.group(connections) + " conns";
            };
        }

        /** "keepalive1000", "close50", "max9980" or "bulk": in the names of the row's log files. */
        String tag() {
            return switch (kind) {
                case BULK -> "bulk";
                case MAX -> "max" + connections;
                case REQUESTS -> (close ? "close" : "keepalive") + connections;
            };
        }
    }

    static final String DEFAULT_SCENARIOS = "100,1000,5000,close50,bulk";

    /** The backends' weights (3:2), the same for our balancer and the peers. */
    static final int WEIGHT_A = 3, WEIGHT_B = 2;

    int portA() { return proxyPort + 1; }

    int portB() { return proxyPort + 2; }

    /** The bulk scenario's server (iperf3 -s or BulkTool serve). */
    int bulkPort() { return proxyPort + 3; }

    boolean hasBulk() { return scenarios.stream().anyMatch(s -> s.kind() == Scenario.Kind.BULK); }

    /** Reads and checks every setting; {@code os} is uname -s (which rows exist depends on it). */
    static StressSettings parse(Map<String, String> env, String os) {
        String duration = get(env, "DURATION", "5");
        if (!duration.matches("[1-9][0-9]{0,8}")) {
            throw new BadSetting("DURATION must be a whole number of seconds, not '" + duration + "'");
        }
        String warmup = get(env, "WARMUP", "2");
        if (!warmup.matches("[0-9]{1,9}")) {
            throw new BadSetting("WARMUP must be a whole number of seconds, not '" + warmup + "'");
        }
        String port = get(env, "STRESS_PORT", "28080");
        if (!port.matches("[0-9]{1,9}") || Integer.parseInt(port) < 1024 || Integer.parseInt(port) > 65000) {
            throw new BadSetting("STRESS_PORT must be from 1024 to 65000, not '" + port + "'");
        }
        String load = oneOf(env, "LOAD", "auto", "auto", "wrk", "builtin");
        String peers = oneOf(env, "PEERS", "auto", "auto", "none");
        String backend = oneOf(env, "BACKEND", "demo", "demo", "nginx");
        List<Scenario> scenarios = scenarios(get(env, "SCENARIOS", DEFAULT_SCENARIOS));
        List<String> rows = rows(get(env, "ROWS", "all"), allRows(os));
        String threads = get(env, "THREADS", "1");
        int n = threads.equals("auto") ? Runtime.getRuntime().availableProcessors()
                : threads.matches("[0-9]{1,4}") ? Integer.parseInt(threads) : -1;
        if (n < 1 || n > 1024) {
            throw new BadSetting("THREADS must be from 1 to 1024 or auto, not '" + threads + "'");
        }
        return new StressSettings(Integer.parseInt(duration), Integer.parseInt(warmup), scenarios, load,
                peers.equals("auto"), backend, rows, Integer.parseInt(port), env.getOrDefault("JAVA_OPTS", ""), n);
    }

    private static String get(Map<String, String> env, String name, String byDefault) {
        String v = env.get(name);
        return v == null || v.isEmpty() ? byDefault : v;
    }

    private static String oneOf(Map<String, String> env, String name, String byDefault, String... allowed) {
        String v = get(env, name, byDefault);
        if (List.of(allowed).contains(v)) return v;
        String choices = String.join(", ", List.of(allowed).subList(0, allowed.length - 1)) + " or "
                + allowed[allowed.length - 1];
        throw new BadSetting(name + " must be " + choices + ", not '" + v + "'");
    }

    static List<Scenario> scenarios(String spec) {
        List<Scenario> out = new ArrayList<>();
        for (String s : spec.split(",")) {
            if (s.equals("10k") || s.equals("max")) {
                out.add(Scenario.MAX);
                continue;
            }
            if (s.equals("bulk")) {
                out.add(Scenario.BULK);
                continue;
            }
            if (!s.matches("(close)?[1-9][0-9]{0,8}")) {
                throw new BadSetting("scenario '" + s + "' is not N (keep-alive), closeN, 10k (or max) or bulk,"
                        + " e.g. SCENARIOS=100,close50,10k");
            }
            boolean close = s.startsWith("close");
            out.add(new Scenario(Integer.parseInt(close ? s.substring(5) : s), close));
        }
        if (out.isEmpty()) throw new BadSetting("SCENARIOS is empty");
        return List.copyOf(out);
    }

    /**
     * Every row this OS can have, in table order: the direct ceiling, each event
     * backend, the edge-triggered one (with the exercises' write buffer, from the
     * solutions), then the peers.
     */
    /** The balancer's completion path (one loop: THREADS does not apply to it). */
    static final String COMPLETION = "io_uring-completion";

    static List<String> allRows(String os) {
        List<String> rows = new ArrayList<>(List.of("direct"));
        String edge = switch (os) {
            case "Linux" -> { rows.addAll(List.of("select", "poll", "epoll", "io_uring", COMPLETION, "nio"));
                yield "epoll";
            }
            case "Darwin", "FreeBSD" -> { rows.addAll(List.of("select", "poll", "kqueue", "nio")); yield "kqueue"; }
            default -> { rows.add("nio"); yield null; }
        };
        if (edge != null) rows.add(edge + "-et");
        rows.addAll(List.of("haproxy", "nginx"));
        return List.copyOf(rows);
    }

    /** ROWS=all, or the named rows in table order; names this OS has not are left out. */
    static List<String> rows(String spec, List<String> all) {
        if (spec.equals("all")) return all;
        Set<String> wanted = new LinkedHashSet<>(List.of(spec.split(",")));
        List<String> rows = all.stream().filter(wanted::contains).toList();
        if (rows.isEmpty()) throw new BadSetting("ROWS='" + spec + "' names none of: " + String.join(" ", all));
        return rows;
    }
}
