package hpio.measure;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The system calls a proxy makes over the measured window, counted by the
 * kernel itself: {@code perf stat -e raw_syscalls:sys_enter -p PID[,PID...]}
 * attached to the proxy and its children (nginx's workers) for the window, then
 * stopped with SIGINT, on which perf prints its count. perf counts every
 * thread the process has when it attaches, the JVM's included: what the
 * collector or the JIT calls is in the figure too, as it is in the proxy's CPU.
 *
 * <p>Where perf is missing or not permitted (perf_event_paranoid, a container
 * without the tracepoint), {@link #unusable()} says why, the column shows "-",
 * and the table says so beneath it.
 */
final class SyscallCounter {
    static final String EVENT = "raw_syscalls:sys_enter";

    /** A count running, and the file perf writes it to. */
    record Running(Process perf, Path file) {}

    private final Children children;
    private final Optional<String> unusable;

    SyscallCounter(Children children, Optional<String> unusable) {
        this.children = children;
        this.unusable = unusable;
    }

    /** Empty when perf counts system calls here, else why not (one line, for the table's notes). */
    static Optional<String> unusable() {
        if (Host.which("perf").isEmpty()) return Optional.of("perf is not installed (apt-get install linux-perf)");
        String out = Host.output("perf", "stat", "-x,", "-e", EVENT, "--", "true");
        if (count(out).isPresent()) return Optional.empty();
        String first = out.lines().filter(l -> !l.isBlank()).findFirst().orElse("no output").trim();
        return Optional.of("perf stat -e " + EVENT + " does not count here: " + first);
    }

    Optional<String> whyNot() { return unusable; }

    /** The perf command that counts {@code pids} (the proxy and its children) into {@code file}. */
    static List<String> command(List<Long> pids, Path file) {
        return List.of("perf", "stat", "-x,", "-e", EVENT, "-o", file.toString(), "-p",
                pids.stream().map(String::valueOf).collect(Collectors.joining(",")));
    }

    /**
     * Attaches perf to the process family of {@code pid} and returns once its
     * counters are open (perf holds an fd to each: /proc/PERF/fd shows
     * "anon_inode:[perf_event]"), so the load starts on a count already running;
     * empty where perf cannot count.
     */
    Optional<Running> start(long pid, Path file, Path log) {
        if (unusable.isPresent()) return Optional.empty();
        Process perf = children.start(log, command(ProcSampler.family(pid), file));
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (perf.isAlive() && !attached(perf.pid()) && System.nanoTime() < deadline) Children.pause(10);
        return Optional.of(new Running(perf, file));
    }

    /** Whether the process holds a perf event fd. */
    private static boolean attached(long pid) {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().contains("perf_event");
                } catch (IOException e) {
                    return false;           // closed while we looked
                }
            });
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }

    /** Stops the count (SIGINT: perf prints on it) and reads it; empty when perf printed none. */
    Optional<Long> stop(Optional<Running> running) {
        if (running.isEmpty()) return Optional.empty();
        Process perf = running.get().perf();
        Host.output("kill", "-INT", Long.toString(perf.pid()));
        children.waitFor(perf);
        return count(Host.read(running.get().file()));
    }

    // perf stat -x, prints "COUNT,UNIT,EVENT,RUNTIME,PERCENT,,": "184412,,raw_syscalls:sys_enter,3001234567,100.00,,"
    // and "<not counted>" for a count whose task never ran while it was enabled (an idle process): zero calls.
    private static final Pattern LINE = Pattern.compile("(?m)^\\s*([0-9]+|<not counted>),[^,]*," + EVENT + ",");

    /** The count in what {@code perf stat -x,} printed; empty when there is none (perf failed). */
    static Optional<Long> count(String perfOutput) {
        Matcher m = LINE.matcher(perfOutput);
        if (!m.find()) return Optional.empty();
        return Optional.of(m.group(1).startsWith("<") ? 0L : Long.parseLong(m.group(1)));
    }

    /** System calls per request, one decimal; "-" when either is unknown or no request completed. */
    static String perRequest(Optional<Long> calls, long requests) {
        if (calls.isEmpty() || requests <= 0) return RowResult.NONE;
        return Numbers.fixed((double) calls.get() / requests, 1);
    }
}
