package hpio.measure;

import java.util.ArrayList;
import java.util.List;

/**
 * The load tool of a run: wrk (one thread, as the chapter measures) or, where wrk
 * is not installed or LOAD=builtin, the built-in {@link LoadGenerator} in a JVM of
 * its own, so its collector and JIT never share a process with the runner.
 */
enum LoadTool {
    WRK("wrk"), BUILTIN("builtin");

    /** The name in the CSV's load_tool column. */
    final String csvName;

    LoadTool(String csvName) { this.csvName = csvName; }

    /** LOAD=auto|wrk|builtin on this machine; fails when wrk is asked for and missing. */
    static LoadTool choose(String load, boolean wrkInstalled) {
        return switch (load) {
            case "builtin" -> BUILTIN;
            case "wrk" -> {
                if (!wrkInstalled) {
                    throw new IllegalStateException(
                            "LOAD=wrk, but wrk is not installed (apt-get install wrk), or use LOAD=builtin");
                }
                yield WRK;
            }
            default -> wrkInstalled ? WRK : BUILTIN;
        };
    }

    /** "wrk 4.1.0, 1 thread" (from {@code wrk -v}: "wrk debian/4.1.0-3+b2 [epoll] ...") or the built-in's name. */
    String describe() {
        if (this == BUILTIN) {
            return "built-in (hpio.measure.LoadGenerator, Java NIO), 1 thread (2 above "
                    + Numbers.group(ONE_THREAD_UP_TO) + " connections)";
        }
        String v = Host.find(Host.output("wrk", "-v"), "^wrk ([^ ]*)").replaceFirst("^debian/", "")
                .replaceFirst("-[^-]*$", "");
        return "wrk " + v + ", 1 thread (2 above " + Numbers.group(ONE_THREAD_UP_TO) + " connections)";
    }

    /** Above this many connections the load tool gets a second thread, and a longer timeout. */
    static final int ONE_THREAD_UP_TO = 5000;

    /**
     * The load tool's timeout above 5,000 connections. wrk's default, 2 s, counts a request
     * still unanswered after 2 s as an error and leaves its latency out of the
     * histogram (its Max never exceeds 2.00s): at 10k, where a SYN dropped by a
     * full accept queue is resent after 1 s and again after 3, that hides the tail
     * it should show. With 30 s those requests are in p99 instead. The built-in
     * tool gets the same (its default is 2 s too).
     */
    static final int LONG_TIMEOUT_SECONDS = 30;

    /**
     * One thread, as the chapter measures, up to 5,000 connections; two above
     * (the 10k scenario): one thread alone connects 10,000 sockets one after
     * another and then watches them all on one core, so the tool, not the proxy,
     * would set the pace; two threads use both cores' worth of its share.
     */
    static int threads(int conns) {
        return conns > ONE_THREAD_UP_TO ? 2 : 1;
    }

    /** How the warm-up is done, for the report's header. */
    String warmupHow() {
        return this == WRK ? "a wrk run of its own" : "on the measured connections";
    }

    /**
     * The command of one run: SECONDS measured over CONNS connections to the port,
     * keep-alive or "Connection: close". wrk has no warm-up of its own (the runner
     * runs it twice); the built-in warms up on the same connections, then prints
     * "Measuring".
     */
    List<String> command(int seconds, int warmup, int conns, boolean close, int port, String java, String jar) {
        String url = "http://127.0.0.1:" + port + "/";
        List<String> c = new ArrayList<>();
        String threads = Integer.toString(threads(conns));
        if (this == WRK) {
            c.addAll(List.of("wrk", "-t" + threads, "-c" + conns, "-d" + seconds + "s", "--latency"));
            if (conns > ONE_THREAD_UP_TO) c.addAll(List.of("--timeout", LONG_TIMEOUT_SECONDS + "s"));
            if (close) c.addAll(List.of("-H", "Connection: close"));
        } else {
            c.addAll(List.of(java, "-XX:+UseSerialGC", "-Xms64m", "-Xmx512m", "-cp", jar,
                    LoadGenerator.class.getName(), "-t", threads, "-c", Integer.toString(conns),
                    "-d", Integer.toString(seconds), "--warmup", Integer.toString(warmup)));
            if (close) c.add("--close");
            if (conns > ONE_THREAD_UP_TO) c.addAll(List.of("--timeout", Integer.toString(LONG_TIMEOUT_SECONDS * 1000)));
        }
        c.add(url);
        return c;
    }
}
