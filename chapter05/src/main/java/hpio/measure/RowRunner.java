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
 * time and the kernel's accept-queue drops are sampled; then the proxy stops and
 * its peak RSS is read. Every process's output is kept in the run's logs/.
 */
final class RowRunner {
    /** Our balancer's ordinary lines (start-up, stop); any other line it logged is worth a note. */
    static final Pattern ORDINARY_LOG = Pattern.compile("listening on|loopback only|exercises on|stopped$|^\\s*$");

    private final StressSettings settings;
    private final LoadTool load;
    private final Peers peers;
    private final Children children;
    private final ProcSampler sampler;
    private final Path out;
    private final String java, jar;

    RowRunner(StressSettings settings, LoadTool load, Peers peers, Children children, ProcSampler sampler,
              Path out, String java, String jar) {
        this.settings = settings;
        this.load = load;
        this.peers = peers;
        this.children = children;
        this.sampler = sampler;
        this.out = out;
        this.java = java;
        this.jar = jar;
    }

    /** Measures the row and prints the rest of its progress line (the figures, or what went wrong). */
    RowResult measure(Scenario s, String row, PrintStream progress) {
        String name = peers.label(row), scenario = s.label();
        String tag = row + "-" + s.tag();
        Path log = out.resolve("logs/" + tag + ".proxy.log");
        Process proxy = null;
        if (!row.equals("direct")) {
            proxy = children.start(log, proxyCommand(row));
            if (!Children.awaitPort(settings.proxyPort(), proxy)) {
                children.stop(proxy);
                String why = lastLine(log);
                String shown = why.isEmpty() ? "see " + log : why;
                progress.println("did not start (" + shown + ")");
                return RowResult.skipped(scenario, name, "did not start: " + shown);
            }
        }
        int port = row.equals("direct") ? settings.portA() : settings.proxyPort();
        Path loadLog = out.resolve("logs/" + tag + ".load.txt");
        Process tool;
        if (load == LoadTool.WRK) {
            // wrk has no warm-up of its own: a run of WARMUP seconds first (new connections after it).
            if (settings.warmupSeconds() > 0) {
                children.waitFor(children.start(out.resolve("logs/" + tag + ".warmup.txt"),
                        load.command(settings.warmupSeconds(), 0, s.connections(), s.close(), port, java, jar)));
            }
            tool = children.start(loadLog, load.command(settings.durationSeconds(), 0, s.connections(), s.close(),
                    port, java, jar));
        } else {
            tool = children.start(loadLog, load.command(settings.durationSeconds(), settings.warmupSeconds(),
                    s.connections(), s.close(), port, java, jar));
            if (settings.warmupSeconds() > 0) awaitMeasuring(loadLog, tool);
        }
        long overflows0 = ProcSampler.listenOverflows();
        long t0 = System.nanoTime();
        double cpu0 = proxy == null ? 0 : sampler.cpuSeconds(proxy.pid());
        children.waitFor(tool);
        long t1 = System.nanoTime();
        long overflows = ProcSampler.listenOverflows() - overflows0;

        String cpu = RowResult.NONE, rss = RowResult.NONE;
        boolean died = false;
        if (proxy != null) {
            double seconds = (t1 - t0) / 1e9;
            cpu = Numbers.fixed(100 * (sampler.cpuSeconds(proxy.pid()) - cpu0) / seconds, 0);
            rss = Numbers.fixed(sampler.peakRssKib(proxy.pid()) / 1024.0, 1);
            died = !proxy.isAlive();
            children.stop(proxy);
        }

        Optional<LoadOutput.Measured> measured = LoadOutput.parse(load, Host.read(loadLog));
        if (measured.isEmpty()) {
            progress.println("the load tool failed (logs/" + tag + ".load.txt)");
            return new RowResult(scenario, name, RowResult.NONE, RowResult.NONE, RowResult.NONE, RowResult.NONE,
                    cpu, rss, "the load tool failed: see logs/" + tag + ".load.txt");
        }
        LoadOutput.Measured m = measured.get();
        List<String> notes = new ArrayList<>();
        if (!m.errorDetail().isEmpty()) notes.add(m.errorDetail());
        if (row.equals("direct")) notes.add("backend A only");
        // A full accept queue drops the SYN; the client retries it after 1 s, which shows in p99.
        if (overflows > 0) notes.add("listen queue overflowed " + overflows + "x");
        if (died) notes.add("the proxy exited during the run");
        if (!row.equals("direct") && !Peers.isPeer(row)) {
            long said = unusualLines(log).size();
            if (said > 0) notes.add(said + " log line(s): logs/" + tag + ".proxy.log");
        }
        RowResult r = new RowResult(scenario, name, Long.toString(m.requestsPerSecond()), m.p50(), m.p99(),
                Long.toString(m.errors()), cpu, rss, notes.isEmpty() ? RowResult.NONE : String.join("; ", notes));
        String figures = Numbers.group(r.rps()) + " req/s, p99 " + r.p99() + " ms, errors " + r.errors();
        progress.println(proxy == null ? figures : figures + ", CPU " + cpu + "%, peak RSS " + rss + " MB");
        return r;
    }

    private List<String> proxyCommand(String row) {
        List<String> c = new ArrayList<>();
        String abs = out.toAbsolutePath().toString();
        switch (row) {
            case "haproxy" -> c.addAll(List.of(peers.haproxy().orElseThrow().toString(), "-db", "-f",
                    out.resolve("conf/haproxy.cfg").toString()));
            case "nginx" -> c.addAll(List.of(peers.nginx().orElseThrow().toString(),
                    "-e", abs + "/logs/nginx-stream-error.log", "-p", abs + "/conf/", "-c", abs + "/conf/nginx-stream.conf"));
            default -> {
                c.addAll(List.of("./high_perf_lb", Integer.toString(settings.proxyPort()),
                        "127.0.0.1:" + settings.portA() + ":" + StressSettings.WEIGHT_A,
                        "127.0.0.1:" + settings.portB() + ":" + StressSettings.WEIGHT_B, "-a", "wrr"));
                if (row.endsWith("-et")) {
                    c.addAll(List.of("-e", row.substring(0, row.length() - 3), "--edge-triggered", "--write-buffer",
                            "--solutions"));
                } else {
                    c.addAll(List.of("-e", row));
                }
            }
        }
        return c;
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
