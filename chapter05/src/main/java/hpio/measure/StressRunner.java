package hpio.measure;

import hpio.lb.LoadBalancer;
import hpio.measure.StressSettings.BadSetting;
import hpio.measure.StressSettings.Scenario;
import hpio.nativeio.Posix;
import hpio.net.OpenFiles;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code make stress}: the balancer on every event backend, side by side with the
 * direct ceiling and the peers (HAProxy, nginx stream) when installed, under one
 * load. The backends start once; then for each scenario and each row a fresh
 * proxy process takes WARMUP seconds of load, then DURATION seconds measured
 * ({@link RowRunner}). The table is printed at the end and written, with the
 * machine, as Markdown and CSV to results/stress-YYYYMMDD-HHMMSS/, logs and
 * configs beside. Settings: see {@link StressSettings}.
 *
 * <p>Run from the repository root (chapter05/scripts/stress.sh does, with the
 * JDK it finds). Exit 0 when the table was printed (a missed target is a
 * measurement), 2 for a bad setting, 1 when the run could not be made.
 */
public final class StressRunner {
    static final String JAR = "chapter05/target/high_perf_lb.jar";

    /** A proxied connection costs two fds; a proxy needs a few more of its own besides. */
    private static final int FDS_PER_CONNECTION = 2, HEADROOM_FDS = 64;

    /**
     * The most connections the balancer on select holds: its own default pool size,
     * asked of it, for the highest fd select can watch ({@link Posix#FD_SETSIZE} - 1);
     * the open-files limit and the heap are not what binds here.
     */
    static final int SELECT_MAX_CONNECTIONS =
            LoadBalancer.defaultPoolSize(Long.MAX_VALUE, Posix.FD_SETSIZE - 1, Long.MAX_VALUE);

    /** A failure that ends the run: its message is the one line the user sees. */
    static final class Abort extends RuntimeException {
        Abort(String message) { super(message); }
    }

    private final Children children = new Children();
    private volatile boolean finished, interrupted;
    private Path out;

    private StressRunner() {}

    public static void main(String[] args) {
        StressRunner runner = new StressRunner();
        Runtime.getRuntime().addShutdownHook(new Thread(runner::onExit, "stress-cleanup"));
        int status;
        PrintStream progress = runner.silencedAfterInterrupt(System.out);
        try {
            runner.run(progress);
            status = 0;
        } catch (BadSetting e) {
            System.err.println("stress: " + e.getMessage());
            status = 2;
        } catch (Abort | UncheckedIOException | IllegalStateException e) {
            // After a Ctrl-C the hook has said what happens; the row it cut short has nothing to add.
            if (!runner.interrupted) System.err.println("stress: " + e.getMessage());
            status = 1;
        } catch (RuntimeException e) {
            // A bug of ours: still one line, with what the exception says.
            if (!runner.interrupted) System.err.println("stress: unexpected error: " + e);
            status = 1;
        }
        runner.finished = true;
        runner.children.stopAll();
        System.exit(status);
    }

    /** On Ctrl-C (or SIGTERM) the JVM runs this: every process we started is ended, none left behind. */
    private void onExit() {
        if (!finished) {
            interrupted = true;
            System.out.println();
            System.err.println("stress: interrupted; stopping every process it started (partial results: "
                    + (out == null ? "none" : out) + ")");
        }
        children.stopAll();
    }

    /** After a Ctrl-C the row cut short would report its load tool's failure: nobody wants that line. */
    private PrintStream silencedAfterInterrupt(PrintStream stdout) {
        return new PrintStream(new FilterOutputStream(stdout) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (!interrupted) out.write(b, off, len);
            }

            @Override
            public void write(int b) throws IOException {
                if (!interrupted) out.write(b);
            }
        }, true);
    }

    private void run(PrintStream stdout) {
        String os = Host.os();
        StressSettings settings = StressSettings.parse(System.getenv(), os);
        if (!Files.isRegularFile(Path.of(JAR)) || !Files.isRegularFile(Path.of("high_perf_lb"))) {
            throw new Abort(JAR + " or ./high_perf_lb is missing: run 'make' first, from the repository root");
        }
        LoadTool load = LoadTool.choose(settings.load(), Host.which("wrk").isPresent());
        Peers peers = Peers.find(settings.peers());
        Optional<Path> nginxBackend = Optional.empty();
        if (settings.backend().equals("nginx")) {
            nginxBackend = Peers.nginxBinary();
            if (nginxBackend.isEmpty()) throw new Abort("BACKEND=nginx, but nginx is not installed (apt-get install nginx-light)");
        }
        long openFiles = raiseOpenFiles();

        out = Path.of("results", "stress-" + ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        try {
            Files.createDirectories(out.resolve("logs"));
            Files.createDirectories(out.resolve("conf"));
        } catch (IOException e) {
            throw new Abort("cannot create " + out + ": " + e.getMessage());
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String loadTool = load.describe();
        for (int p : new int[] {settings.proxyPort(), settings.portA(), settings.portB()}) {
            if (Children.portOpen(p)) {
                throw new Abort("port " + p + " is in use (another make stress or make run?); stop it or set STRESS_PORT");
            }
        }

        List<String> rows = settings.rows();
        stdout.println("stress: " + settings.scenarios().size() + " scenario(s) x " + rows.size() + " row(s), "
                + settings.warmupSeconds() + " s warm-up + " + settings.durationSeconds() + " s measured per row");
        stdout.println("  load: " + loadTool + "; results: " + out + "/");

        PeerConfigs configs = new PeerConfigs(settings.proxyPort(), settings.portA(), settings.portB(), openFiles,
                out.toAbsolutePath());
        Backends backends = Backends.start(settings, nginxBackend, configs, children, out, java);
        if (peers.haproxy().isPresent()) write(out.resolve("conf/haproxy.cfg"), configs.haproxy());
        if (peers.nginx().isPresent()) write(out.resolve("conf/nginx-stream.conf"), configs.nginxStream(peers.streamModule()));
        stdout.println("  backends: " + backends.description());

        // The plan: which rows are measured, which only noted (and why).
        int measuredTotal = 0;
        for (Scenario s : settings.scenarios()) {
            for (String row : rows) if (skipReason(s.connections(), row, peers, openFiles).isEmpty()) measuredTotal++;
        }
        int perRowGuess = settings.warmupSeconds() + settings.durationSeconds() + 2;
        stdout.println("  " + measuredTotal + " row(s) to measure; about "
                + Numbers.minutesSeconds((long) measuredTotal * perRowGuess) + " in all");
        stdout.println();

        RowRunner rowRunner = new RowRunner(settings, load, peers, children, new ProcSampler(), out, java, JAR);
        List<RowResult> results = new ArrayList<>();
        long start = epochSeconds();
        int done = 0;
        for (Scenario s : settings.scenarios()) {
            for (String row : rows) {
                if (!backends.alive()) throw new Abort("a backend exited (see " + out + "/logs/backend-*.log)");
                Optional<String> why = skipReason(s.connections(), row, peers, openFiles);
                if (why.isPresent()) {
                    results.add(RowResult.skipped(s.label(), peers.label(row), why.get()));
                    stdout.printf("  [  -/%2d] %-22s %-28s %s%n", measuredTotal, s.label(), peers.label(row), why.get());
                    continue;
                }
                done++;
                long elapsed = epochSeconds() - start;
                long perRow = done > 1 ? elapsed / (done - 1) : perRowGuess;
                stdout.printf("  [%3d/%2d] %-22s %-28s (%s left) ", done, measuredTotal, s.label(), peers.label(row),
                        Numbers.minutesSeconds((measuredTotal - done + 1) * perRow));
                stdout.flush();
                results.add(rowRunner.measure(s, row, stdout));
            }
        }
        long wall = epochSeconds() - start;
        backends.stop();
        report(stdout, settings, load, loadTool, backends.description(), openFiles, results, wall);
    }

    /** Why a row is not measured, or empty when it is. */
    static Optional<String> skipReason(int conns, String row, Peers peers, long openFiles) {
        Optional<String> missing = peers.missing(row);
        if (missing.isPresent()) return missing;
        if (row.equals("select") && conns > SELECT_MAX_CONNECTIONS) return Optional.of("n/a (FD_SETSIZE)");
        if (!row.equals("direct") && (long) FDS_PER_CONNECTION * conns + HEADROOM_FDS > openFiles) {
            return Optional.of("n/a (open files limit " + openFiles + ": " + FDS_PER_CONNECTION * conns + " fds needed)");
        }
        return Optional.empty();
    }

    private void report(PrintStream stdout, StressSettings settings, LoadTool load, String loadTool, String backends,
                        long openFiles, List<RowResult> results, long wall) {
        String jdk = System.getProperty("java.runtime.version");
        ZonedDateTime now = ZonedDateTime.now();
        List<String> machine = List.of(
                "date: " + now.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z")),
                "machine: " + Host.cores() + " cores, " + Host.cpuModel() + ", " + Host.memory(),
                "OS: " + Host.osName(Host.os()) + ", kernel " + Host.kernel(),
                "JDK: " + jdk + "; balancer JVM flags: " + balancerJvmFlags(settings.javaOpts()),
                "load: " + loadTool + "; " + settings.warmupSeconds() + " s warm-up (" + load.warmupHow() + "), then "
                        + settings.durationSeconds() + " s measured per row; each row a fresh proxy process",
                "backends: " + backends + "; proxies use weighted round robin (high_perf_lb -a wrr, HAProxy roundrobin,"
                        + " nginx weight=)",
                "open files: soft limit raised to " + openFiles);
        boolean wrk = load == LoadTool.WRK;
        String targets = StressTargets.check(results);
        write(out.resolve("stress.md"), StressReport.markdown(machine, results, wrk, targets));
        write(out.resolve("stress.csv"), StressReport.csv(results, load.csvName));

        List<String> logged = new ArrayList<>();
        try (var logs = Files.list(out.resolve("logs"))) {
            logs.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".proxy.log"))
                    .filter(n -> !n.startsWith("haproxy-") && !n.startsWith("nginx-")).sorted()
                    .forEach(n -> logged.addAll(RowRunner.unusualLines(out.resolve("logs").resolve(n))));
        } catch (IOException e) {
            // No logs to read: nothing to summarise.
        }
        String heading = "make stress: " + now.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")) + ", "
                + Host.cores() + " cores, " + Host.kernel() + ", JDK " + jdk + ", load: " + loadTool;
        String summary = StressReport.summary(heading, StressReport.text(results, wrk), targets,
                StressReport.mostLogged(logged), out.toString(), wall);
        stdout.print(summary);
        drawCharts(stdout, results);
        write(out.resolve("summary.txt"), summary);
    }

    /** The charts beside the table; a machine that cannot draw (no fonts) still has the table. */
    private void drawCharts(PrintStream stdout, List<RowResult> results) {
        try {
            List<Path> charts = StressCharts.write(out, results);
            stdout.println("  charts: " + String.join(", ", charts.stream().map(Path::toString).toList()));
        } catch (IOException | RuntimeException | LinkageError | java.awt.AWTError e) {
            stdout.println("stress: charts not drawn (the table is written): " + e);
        }
    }

    /** JAVA_OPTS when set, else the launcher's own default, read from it (one place says what it is). */
    static String balancerJvmFlags(String javaOpts) {
        if (!javaOpts.isEmpty()) return javaOpts + " (JAVA_OPTS)";
        String flags = Host.find(Host.read(Path.of("high_perf_lb")), "^HPIO_JVM_FLAGS=\"(.*)\"$");
        return flags + " (the launcher's default)";
    }

    /**
     * Raises the soft limit on open files to the hard one, as the balancer does:
     * every child inherits it, so the peers and the load tool can hold thousands of
     * connections too. Returns the limit now in force.
     */
    private static long raiseOpenFiles() {
        try {
            long soft = OpenFiles.raiseSoftToHard().soft();
            return soft < 0 || soft > 1_048_576 ? 1_048_576 : soft;     // RLIM_INFINITY reads as -1
        } catch (IOException | RuntimeException e) {
            throw new Abort("cannot read or raise the open files limit: " + e.getMessage());
        }
    }

    static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new Abort("cannot write " + file + ": " + e.getMessage());
        }
    }

    private static long epochSeconds() {
        return System.currentTimeMillis() / 1000;
    }
}
