package hpio.measure;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The balancer under soak: {@code hpio.lb.HighPerfLb} as a real child process (the
 * runnable jar's class path, the launcher's JVM flags), its output in a log file.
 * It is read from outside only, as an operator would: descriptors from
 * /proc/PID/fd, resident size from /proc/PID/status, free pool slots from its own
 * {@code -v} status line ("pool free 200/200", every 5 s), exceptions from its log.
 */
final class SoakBalancer {
    /** A stack trace or an exception's name: the balancer reports failures in one line, never these. */
    static final Pattern EXCEPTION = Pattern.compile("\\b[A-Za-z.$]*(Exception|Error)\\b|^\\s+at [\\w.$]+\\(");
    private static final Pattern STATUS = Pattern.compile("^high_perf_lb: active (\\d+) .*\\| pool free (\\d+)/(\\d+)");

    final int port;
    final Path log;
    final Process process;
    private final Children children;

    private SoakBalancer(int port, Path log, Process process, Children children) {
        this.port = port;
        this.log = log;
        this.process = process;
        this.children = children;
    }

    /**
     * Starts it on a free port in front of {@code backends}; {@code openFiles} &gt; 0
     * runs it under {@code ulimit -n openFiles} (soft and hard), through a shell that
     * then execs the JVM. Returns once it listens; throws with its log's end if not.
     */
    static SoakBalancer start(Children children, Path log, String eventBackend, List<Integer> backends,
                              int maxConns, int threads, int openFiles, String jvmFlags) {
        int port = freePort();
        List<String> argv = new ArrayList<>();
        if (openFiles > 0) argv.addAll(List.of("/bin/sh", "-c", "ulimit -n " + openFiles + " && exec \"$@\"", "sh"));
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.add("--enable-native-access=ALL-UNNAMED");
        argv.addAll(List.of(jvmFlags.trim().split("\\s+")));
        argv.addAll(List.of("-cp", System.getProperty("java.class.path"), "hpio.lb.HighPerfLb", Integer.toString(port)));
        for (int b : backends) argv.add("127.0.0.1:" + b);
        argv.addAll(List.of("-e", eventBackend, "--max-conns", Integer.toString(maxConns), "--fail-timeout", "1",
                "--connect-timeout", "1000", "-v"));
        if (threads != 1) argv.addAll(List.of("--threads", Integer.toString(threads)));
        Process p = children.start(log, argv);
        SoakBalancer b = new SoakBalancer(port, log, p, children);
        if (!b.await(() -> b.logText().contains("listening on"), 60_000)) {
            children.stop(p);
            throw new IllegalStateException("the balancer did not start (" + eventBackend + "): " + b.logTail());
        }
        return b;
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port: " + e.getMessage(), e);
        }
    }

    boolean alive() { return process.isAlive(); }

    /** Open descriptors (/proc/PID/fd); -1 without /proc. */
    long fds() {
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd"))) {
            return s.count();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Resident set now (VmRSS), in KiB; 0 when unknown. */
    long rssKib() {
        String v = Host.find(Host.read(Path.of("/proc", Long.toString(process.pid()), "status")), "^VmRSS:\\s+([0-9]+)");
        return v.isEmpty() ? 0 : Long.parseLong(v);
    }

    String logText() { return Host.read(log); }

    String logTail() {
        List<String> lines = Host.lines(log);
        return String.join(" / ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    }

    /** Lines of the log that name an exception or are a stack frame. */
    List<String> exceptionLines() {
        List<String> found = new ArrayList<>();
        for (String line : Host.lines(log)) if (EXCEPTION.matcher(line).find()) found.add(line);
        return found;
    }

    /** The last status line's {active, free, capacity} printed after log line {@code from}; null if none yet. */
    int[] pool(int from) {
        List<String> lines = Host.lines(log);
        for (int i = lines.size() - 1; i >= from; i--) {
            Matcher m = STATUS.matcher(lines.get(i));
            if (m.find()) return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3))};
        }
        return null;
    }

    int logLines() { return Host.lines(log).size(); }

    /** Polls {@code condition} every 100 ms until it holds (true) or {@code millis} pass (false). */
    boolean await(BooleanSupplier condition, long millis) {
        long end = System.nanoTime() + millis * 1_000_000;
        while (true) {
            if (condition.getAsBoolean()) return true;
            if (System.nanoTime() > end) return false;
            Children.pause(100);
        }
    }

    /** SIGTERM, then its exit status (SIGKILL and -1 if it does not end within 15 s). */
    int stop() {
        process.toHandle().destroy();
        try {
            if (process.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        children.stop(process);
        return -1;
    }
}
