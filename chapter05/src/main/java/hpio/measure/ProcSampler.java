package hpio.measure;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the kernel counts for a proxy: its CPU time (utime + stime, from
 * /proc/PID/stat), its peak resident size (VmHWM, from /proc/PID/status), and the
 * system-wide count of connections dropped because an accept queue was full
 * (ListenOverflows in /proc/net/netstat). A proxy is counted with its direct
 * children: nginx does its work in a worker process.
 *
 * <p>Without /proc (macOS) the JDK's view of the process stands in for the CPU
 * time and {@code ps}'s current RSS for the peak (the only size it offers).
 */
final class ProcSampler {
    private final long clockTicksPerSecond;

    ProcSampler() {
        String hz = Host.output("getconf", "CLK_TCK").trim();
        clockTicksPerSecond = hz.matches("[1-9][0-9]*") ? Long.parseLong(hz) : 100;
    }

    /** The process and its children, as pids. */
    static List<Long> family(long pid) {
        List<Long> pids = new ArrayList<>(List.of(pid));
        ProcessHandle.of(pid).ifPresent(p -> p.children().forEach(c -> pids.add(c.pid())));
        return pids;
    }

    /** CPU seconds (user + system) the process and its children have used so far. */
    double cpuSeconds(long pid) {
        double total = 0;
        for (long p : family(pid)) {
            String stat = Host.read(Path.of("/proc", Long.toString(p), "stat"));
            if (!stat.isEmpty()) {
                total += (double) statTicks(stat) / clockTicksPerSecond;
            } else {
                total += ProcessHandle.of(p).flatMap(h -> h.info().totalCpuDuration())
                        .map(Duration::toNanos).orElse(0L) / 1e9;
            }
        }
        return total;
    }

    /**
     * utime + stime, in clock ticks, from a /proc/PID/stat line. They are fields 14
     * and 15; the command name before them is in parentheses and may hold spaces
     * or parentheses itself, so counting starts after the last ')'.
     */
    static long statTicks(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) return 0;
        String[] f = stat.substring(close + 1).trim().split("\\s+");
        // f[0] is field 3 (the state), so field 14 is f[11] and field 15 f[12].
        return f.length > 12 ? Long.parseLong(f[11]) + Long.parseLong(f[12]) : 0;
    }

    /** The open fds of the process and its children; -1 where /proc cannot tell (macOS). */
    static long openFds(long pid) {
        long total = 0;
        for (long p : family(pid)) {
            try (var fds = Files.list(Path.of("/proc", Long.toString(p), "fd"))) {
                total += fds.count();
            } catch (IOException | UncheckedIOException e) {
                return -1;
            }
        }
        return total;
    }

    /**
     * CPU microseconds per request over a window: the CPU seconds the process
     * family used in it (utime + stime, read before and after) over the requests
     * completed in it, one decimal; "-" when no request completed.
     */
    static String microsPerRequest(double cpuSecondsBefore, double cpuSecondsAfter, long requests) {
        if (requests <= 0) return RowResult.NONE;
        return Numbers.fixed((cpuSecondsAfter - cpuSecondsBefore) * 1e6 / requests, 1);
    }

    /** The largest peak resident size (KiB) among the process and its children. */
    long peakRssKib(long pid) {
        long max = 0;
        for (long p : family(pid)) {
            String status = Host.read(Path.of("/proc", Long.toString(p), "status"));
            Optional<Long> kib = status.isEmpty() ? psRssKib(p) : vmHwmKib(status);
            max = Math.max(max, kib.orElse(0L));
        }
        return max;
    }

    /** VmHWM ("VmHWM:     60312 kB") from a /proc/PID/status text. */
    static Optional<Long> vmHwmKib(String status) {
        String v = Host.find(status, "^VmHWM:\\s+([0-9]+)");
        return v.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(v));
    }

    private static Optional<Long> psRssKib(long pid) {
        String v = Host.output("ps", "-o", "rss=", "-p", Long.toString(pid)).trim();
        return v.matches("[0-9]+") ? Optional.of(Long.parseLong(v)) : Optional.empty();
    }

    /** The kernel's ListenOverflows so far (all sockets); 0 where it is not counted. */
    static long listenOverflows() {
        return listenOverflows(Host.lines(Path.of("/proc/net/netstat")));
    }

    /** ListenOverflows from /proc/net/netstat: a "TcpExt:" line of names, then one of values. */
    static long listenOverflows(List<String> netstat) {
        for (int i = 0; i + 1 < netstat.size(); i++) {
            if (!netstat.get(i).startsWith("TcpExt:") || !netstat.get(i + 1).startsWith("TcpExt:")) continue;
            String[] names = netstat.get(i).trim().split("\\s+");
            String[] values = netstat.get(i + 1).trim().split("\\s+");
            for (int c = 1; c < names.length && c < values.length; c++) {
                if (names[c].equals("ListenOverflows")) return Long.parseLong(values[c]);
            }
            return 0;
        }
        return 0;
    }
}
