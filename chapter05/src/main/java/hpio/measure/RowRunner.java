package hpio.measure;

import hpio.measure.StressSettings.Scenario;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Measures one row: a fresh proxy process (none for the direct row), WARMUP
 * seconds of load, then DURATION seconds measured, during which the proxy's CPU
 * time, its system calls (perf, {@link SyscallCounter}) and the kernel's
 * accept-queue drops are counted; then the proxy stops and its peak RSS is read.
 * A bulk row moves one large flow instead ({@link BulkLoad}). Every process's
 * output is kept in the run's logs/.
 */
final class RowRunner {
    /** Our balancer's ordinary lines (start-up, stop); any other line it logged is worth a note. */
    static final Pattern ORDINARY_LOG = Pattern.compile("listening on|loopback only|exercises on|stopped$|^\\s*$");

    private final StressSettings settings;
    private final LoadTool load;
    private final Peers peers;
    private final Children children;
    private final ProcSampler sampler;
    private final SyscallCounter syscalls;
    private final BulkLoad bulk;
    private final Path out;
    private final String java, jar;

    RowRunner(StressSettings settings, LoadTool load, BulkLoad bulk, Peers peers, Children children,
              ProcSampler sampler, SyscallCounter syscalls, Path out, String java, String jar) {
        this.settings = settings;
        this.load = load;
        this.bulk = bulk;
        this.syscalls = syscalls;
        this.peers = peers;
        this.children = children;
        this.sampler = sampler;
        this.out = out;
        this.java = java;
        this.jar = jar;
    }

    /** Measures the row and prints the rest of its progress line (the figures, or what went wrong). */
    RowResult measure(Scenario s, String row, PrintStream progress) {
        if (s.kind() == Scenario.Kind.BULK) return measureBulk(s, row, progress);
        String name = peers.label(row), scenario = s.label();
        String tag = row + "-" + s.tag();
        Path log = out.resolve("logs/" + tag + ".proxy.log");
        Process proxy = null;
        if (!row.equals("direct")) {
            proxy = children.start(log, proxyCommand(row, false));
            if (!Children.awaitPort(settings.proxyPort(), proxy)) return didNotStart(proxy, log, scenario, name, progress);
        }
        int port = row.equals("direct") ? settings.portA() : settings.proxyPort();
        Path loadLog = out.resolve("logs/" + tag + ".load.txt");
        Process tool;
        Window window;
        if (load == LoadTool.WRK) {
            // wrk has no warm-up of its own: a run of WARMUP seconds first (new connections after it).
            if (settings.warmupSeconds() > 0) {
                long fds = proxy == null ? -1 : ProcSampler.openFds(proxy.pid());
                children.waitFor(children.start(out.resolve("logs/" + tag + ".warmup.txt"),
                        load.command(settings.warmupSeconds(), 0, s.connections(), s.close(), port, java, jar)));
                if (proxy != null) awaitReleased(proxy, fds);
            }
            window = open(proxy, tag);
            tool = children.start(loadLog, load.command(settings.durationSeconds(), 0, s.connections(), s.close(),
                    port, java, jar));
        } else {
            tool = children.start(loadLog, load.command(settings.durationSeconds(), settings.warmupSeconds(),
                    s.connections(), s.close(), port, java, jar));
            if (settings.warmupSeconds() > 0) awaitMeasuring(loadLog, tool);
            window = open(proxy, tag);
        }
        long overflows0 = ProcSampler.listenOverflows();
        children.waitFor(tool);
        long overflows = ProcSampler.listenOverflows() - overflows0;
        Closed k = close(window);

        Optional<LoadOutput.Measured> measured = LoadOutput.parse(load, Host.read(loadLog));
        if (measured.isEmpty()) {
            progress.println("the load tool failed (logs/" + tag + ".load.txt)");
            return new RowResult(scenario, name, RowResult.NONE, RowResult.NONE, RowResult.NONE, RowResult.NONE,
                    k.cpu, k.rss, "the load tool failed: see logs/" + tag + ".load.txt");
        }
        LoadOutput.Measured m = measured.get();
        List<String> notes = new ArrayList<>();
        if (!m.errorDetail().isEmpty()) notes.add(m.errorDetail());
        if (row.equals("direct")) notes.add("backend A only");
        // A full accept queue drops the SYN; the client retries it after 1 s, which shows in p99.
        if (overflows > 0) notes.add("listen queue overflowed " + overflows + "x");
        if (k.died) notes.add("the proxy exited during the run");
        if (!row.equals("direct") && !Peers.isPeer(row)) {
            long said = unusualLines(log).size();
            if (said > 0) notes.add(said + " log line(s): logs/" + tag + ".proxy.log");
        }
        String calls = proxy == null ? RowResult.NONE : SyscallCounter.perRequest(k.calls, m.requests());
        // perf worked at start but not on this proxy (it exited, or -p was refused): its log says why.
        if (proxy != null && k.calls.isEmpty() && syscalls.whyNot().isEmpty()) {
            notes.add("perf counted nothing: logs/" + tag + ".perf.log");
        }
        String micros = proxy == null ? RowResult.NONE : ProcSampler.microsPerRequest(0, k.cpuSeconds, m.requests());
        RowResult r = new RowResult(scenario, name, Long.toString(m.requestsPerSecond()), m.p50(), m.p99(),
                Long.toString(m.requestErrors()), Long.toString(m.connectErrors()), k.cpu, k.rss, calls, micros,
                RowResult.NONE, notes.isEmpty() ? RowResult.NONE : String.join("; ", notes));
        String figures = Numbers.group(r.rps()) + " req/s, p99 " + r.p99() + " ms, errors " + r.errors()
                + (m.connectErrors() > 0 ? " (+" + m.connectErrors() + " connect)" : "");
        progress.println(proxy == null ? figures : figures + ", CPU " + k.cpu + "%, peak RSS " + k.rss + " MB, "
                + calls + " syscalls/req, " + micros + " µs/req");
        return r;
    }

    /**
     * A bulk row: one flow through a proxy with the bulk server as its only
     * backend (iperf3's control and data connections must meet the same server),
     * WARMUP seconds unmeasured, then DURATION seconds measured, in Gb/s.
     */
    private RowResult measureBulk(Scenario s, String row, PrintStream progress) {
        String name = peers.label(row), scenario = s.label();
        String tag = row + "-" + s.tag();
        Path log = out.resolve("logs/" + tag + ".proxy.log");
        Process proxy = null;
        if (!row.equals("direct")) {
            proxy = children.start(log, proxyCommand(row, true));
            if (!Children.awaitPort(settings.proxyPort(), proxy)) return didNotStart(proxy, log, scenario, name, progress);
        }
        int port = row.equals("direct") ? settings.bulkPort() : settings.proxyPort();
        if (settings.warmupSeconds() > 0) {
            children.waitFor(children.start(out.resolve("logs/" + tag + ".warmup.txt"),
                    bulk.command(settings.warmupSeconds(), port, java, jar)));
        }
        Path loadLog = out.resolve("logs/" + tag + ".load.txt");
        Window window = open(proxy, tag);
        children.waitFor(children.start(loadLog, bulk.command(settings.durationSeconds(), port, java, jar)));
        Closed k = close(window);

        Optional<BulkLoad.Transfer> t = bulk.parse(Host.read(loadLog));
        if (t.isEmpty()) {
            progress.println("the bulk tool failed (logs/" + tag + ".load.txt)");
            return new RowResult(scenario, name, RowResult.NONE, RowResult.NONE, RowResult.NONE, RowResult.NONE,
                    RowResult.NONE, k.cpu, k.rss, RowResult.NONE, RowResult.NONE, RowResult.NONE,
                    "the bulk tool failed: see logs/" + tag + ".load.txt");
        }
        List<String> notes = new ArrayList<>();
        double mib = t.get().bytes() / 1048576.0;
        if (proxy != null && mib > 0) {
            // Per MiB moved, what a request is to the other scenarios: the cost of the copy through user space.
            String calls = k.calls.map(c -> Numbers.fixed(c / mib, 1) + " syscalls, ").orElse("");
            notes.add("per MiB: " + calls + Numbers.fixed(k.cpuSeconds * 1e6 / mib, 0) + " µs CPU");
        }
        if (row.equals("direct")) notes.add("client to server, no proxy");
        if (k.died) notes.add("the proxy exited during the run");
        String gbps = Numbers.fixed(t.get().gbps(), 2);
        progress.println(gbps + " Gb/s" + (proxy == null ? "" : ", CPU " + k.cpu + "%" + (notes.isEmpty() ? ""
                : ", " + notes.getFirst())));
        return new RowResult(scenario, name, RowResult.NONE, RowResult.NONE, RowResult.NONE, RowResult.NONE,
                RowResult.NONE, k.cpu, k.rss, RowResult.NONE, RowResult.NONE, gbps,
                notes.isEmpty() ? RowResult.NONE : String.join("; ", notes));
    }

    private RowResult didNotStart(Process proxy, Path log, String scenario, String name, PrintStream progress) {
        children.stop(proxy);
        String why = lastLine(log);
        String shown = why.isEmpty() ? "see " + log : why;
        progress.println("did not start (" + shown + ")");
        return RowResult.skipped(scenario, name, "did not start: " + shown);
    }

    /** The measured window of a proxy (none on the direct row): its CPU time and system calls from here. */
    private record Window(Process proxy, long t0, double cpu0, Optional<SyscallCounter.Running> perf) {}

    /** What the window saw: CPU in % of a core and in seconds, peak RSS, system calls; the proxy is stopped. */
    private record Closed(String cpu, double cpuSeconds, String rss, Optional<Long> calls, boolean died) {}

    private Window open(Process proxy, String tag) {
        if (proxy == null) return new Window(null, System.nanoTime(), 0, Optional.empty());
        Optional<SyscallCounter.Running> perf = syscalls.start(proxy.pid(), out.resolve("logs/" + tag + ".perf.txt"),
                out.resolve("logs/" + tag + ".perf.log"));
        return new Window(proxy, System.nanoTime(), sampler.cpuSeconds(proxy.pid()), perf);
    }

    private Closed close(Window w) {
        long t1 = System.nanoTime();
        if (w.proxy() == null) return new Closed(RowResult.NONE, 0, RowResult.NONE, Optional.empty(), false);
        double cpuSeconds = sampler.cpuSeconds(w.proxy().pid()) - w.cpu0();
        Optional<Long> calls = syscalls.stop(w.perf());
        String cpu = Numbers.fixed(100 * cpuSeconds / ((t1 - w.t0()) / 1e9), 0);
        String rss = Numbers.fixed(sampler.peakRssKib(w.proxy().pid()) / 1024.0, 1);
        boolean died = !w.proxy().isAlive();
        children.stop(w.proxy());
        return new Closed(cpu, cpuSeconds, rss, calls, died);
    }

    private List<String> proxyCommand(String row, boolean bulkRow) {
        List<String> c = new ArrayList<>();
        String abs = out.toAbsolutePath().toString();
        String suffix = bulkRow ? "-bulk" : "";
        switch (row) {
            case "haproxy" -> c.addAll(List.of(peers.haproxy().orElseThrow().toString(), "-db", "-f",
                    out.resolve("conf/haproxy" + suffix + ".cfg").toString()));
            case "nginx" -> c.addAll(List.of(peers.nginx().orElseThrow().toString(),
                    "-e", abs + "/logs/nginx-stream" + suffix + "-error.log", "-p", abs + "/conf/",
                    "-c", abs + "/conf/nginx-stream" + suffix + ".conf"));
            default -> {
                c.addAll(List.of("./high_perf_lb", Integer.toString(settings.proxyPort())));
                if (bulkRow) {
                    c.add("127.0.0.1:" + settings.bulkPort() + ":1");
                } else {
                    c.addAll(List.of("127.0.0.1:" + settings.portA() + ":" + StressSettings.WEIGHT_A,
                            "127.0.0.1:" + settings.portB() + ":" + StressSettings.WEIGHT_B, "-a", "wrr"));
                }
                if (row.endsWith("-et")) {
                    c.addAll(List.of("-e", row.substring(0, row.length() - 3), "--edge-triggered", "--write-buffer",
                            "--solutions"));
                } else {
                    c.addAll(List.of("-e", row));
                }
                // The completion path runs one loop and refuses --threads.
                if (settings.threads() > 1 && !row.equals(StressSettings.COMPLETION)) {
                    c.addAll(List.of("--threads", Integer.toString(settings.threads())));
                }
            }
        }
        return c;
    }

    /**
     * Until the proxy has closed the warm-up's connections (it holds no more fds
     * than before it), or 30 s pass. Without this the measured run's thousands of
     * new connections arrive while the warm-up's are still being closed, and at
     * 10k the two together overflow the proxy's pool: refusals that belong to
     * neither run.
     */
    private static void awaitReleased(Process proxy, long fdsBefore) {
        if (fdsBefore < 0) return;
        long deadline = System.nanoTime() + 30_000_000_000L;
        // A few fds of slack: a JVM opens some of its own in passing (a jar, a perf map).
        while (proxy.isAlive() && ProcSampler.openFds(proxy.pid()) > fdsBefore + 8 && System.nanoTime() < deadline) {
            Children.pause(20);
        }
    }

    /** Until the built-in generator's warm-up is over (it prints "Measuring"), it exits, or WARMUP + 30 s pass. */
    private void awaitMeasuring(Path loadLog, Process tool) {
        long deadline = System.nanoTime() + (settings.warmupSeconds() + 30) * 1_000_000_000L;
        while (System.nanoTime() < deadline && tool.isAlive()) {
            if (Host.read(loadLog).lines().anyMatch(l -> l.startsWith("Measuring"))) return;
            Children.pause(10);
        }
    }

    /** The last line of a log that is not blank, cut to 100 characters; "" if none. */
    static String lastLine(Path log) {
        List<String> lines = Host.lines(log).stream().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty()) return "";
        String last = lines.getLast();
        return last.length() > 100 ? last.substring(0, 100) : last;
    }

    /** What our balancer logged besides starting and stopping: errors under load. */
    static List<String> unusualLines(Path log) {
        return Host.lines(log).stream().filter(l -> !ORDINARY_LOG.matcher(l).find()).toList();
    }
}
