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
    private static final int FDS_PER_CONNECTION = 2, HEADROOM_FDS = MaxConnections.PROXY_OWN_FDS;

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
        MaxConnections max = MaxConnections.forLimit(openFiles);
        List<Scenario> scenarios = settings.scenarios().stream()
                .map(s -> s.kind() == Scenario.Kind.MAX ? new Scenario(max.connections(), false, Scenario.Kind.MAX) : s)
                .toList();
        Optional<BulkLoad> bulk = settings.hasBulk()
                ? Optional.of(BulkLoad.choose(settings.load(), Host.which("iperf3").isPresent())) : Optional.empty();
        SyscallCounter syscalls = new SyscallCounter(children, SyscallCounter.unusable());

        ZonedDateTime started = ZonedDateTime.now();
        out = RunFolder.create(Path.of("results"), started);
        children.recordTo(out.resolve("commands.txt"));
        write(out.resolve("commands.txt"), "# make stress, " + started.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                + ": every command it started, in order, from " + Path.of("").toAbsolutePath() + "\n# each with the"
                + " open files limit raised to " + openFiles + " (soft to hard; children inherit it), as ulimit -n "
                + openFiles + " would; perf stat runs until the row's load ends, then gets SIGINT (kill -INT),\n# on"
                + " which it writes its count\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String loadTool = load.describe();
        for (int p : new int[] {settings.proxyPort(), settings.portA(), settings.portB(), settings.bulkPort()}) {
            if (Children.portOpen(p)) {
                throw new Abort("port " + p + " is in use (another make stress or make run?); stop it or set STRESS_PORT");
            }
        }

        List<String> rows = settings.rows();
        stdout.println("stress: " + scenarios.size() + " scenario(s) x " + rows.size() + " row(s), "
                + settings.warmupSeconds() + " s warm-up + " + settings.durationSeconds() + " s measured per row");
        stdout.println("  load: " + loadTool + bulk.map(b -> "; bulk: " + b.describe()).orElse("")
                + "; results: " + out + "/");
        if (scenarios.stream().anyMatch(s -> s.kind() == Scenario.Kind.MAX)) stdout.println("  max: " + max.why());
        stdout.println("  system calls: " + syscalls.whyNot().map(w -> "not counted (" + w + ")")
                .orElse("counted with perf stat -e " + SyscallCounter.EVENT + " on each proxy"));

        PeerConfigs configs = new PeerConfigs(settings.proxyPort(), settings.portA(), settings.portB(), openFiles,
                out.toAbsolutePath(), settings.threads());
        Backends backends = Backends.start(settings, nginxBackend, configs, children, out, java, bulk);
        if (peers.haproxy().isPresent()) {
            write(out.resolve("conf/haproxy.cfg"), configs.haproxy());
            write(out.resolve("conf/haproxy-bulk.cfg"), configs.haproxyBulk(settings.bulkPort()));
        }
        if (peers.nginx().isPresent()) {
            write(out.resolve("conf/nginx-stream.conf"), configs.nginxStream(peers.streamModule()));
            write(out.resolve("conf/nginx-stream-bulk.conf"),
                    configs.nginxStreamBulk(peers.streamModule(), settings.bulkPort()));
        }
        stdout.println("  backends: " + backends.description());
        List<String> machine = machine(settings, load, bulk, backends.description(), openFiles, started, syscalls);
        write(out.resolve("machine.txt"), String.join("\n", machine) + "\n");

        // The plan: which rows are measured, which only noted (and why), and about how long each takes.
        Progress progress = new Progress(settings.warmupSeconds(), settings.durationSeconds());
        for (Scenario s : scenarios) {
            for (String row : rows) if (skipReason(s, row, peers, openFiles).isEmpty()) progress.plan(s);
        }
        stdout.println("  " + progress.total() + " row(s) to measure; " + progress.left(0) + " in all");
        stdout.println();

        RowRunner rowRunner = new RowRunner(settings, load, bulk.orElse(BulkLoad.BUILTIN), peers, children,
                new ProcSampler(), syscalls, out, java, JAR);
        List<RowResult> results = new ArrayList<>();
        long start = epochSeconds();
        for (Scenario s : scenarios) {
            for (String row : rows) {
                if (!backends.alive()) throw new Abort("a backend exited (see " + out + "/logs/backend-*.log)");
                Optional<String> why = skipReason(s, row, peers, openFiles);
                if (why.isPresent()) {
                    results.add(RowResult.skipped(s.label(), peers.label(row), why.get()));
                    stdout.printf("  %-28s %-30s %-26s %s%n", "(not measured)", s.label(), peers.label(row), why.get());
                    continue;
                }
                stdout.printf("  %-28s %-30s %-26s ", progress.starting(epochSeconds() - start) + ":", s.label(),
                        peers.label(row));
                stdout.flush();
                results.add(rowRunner.measure(s, row, stdout));
                progress.finished();
            }
            if (s.kind() == Scenario.Kind.MAX) results.addAll(ChapterFigures.rows());
        }
        long wall = epochSeconds() - start;
        backends.stop();
        report(stdout, load, loadTool, bulk, machine, results, wall, syscalls, max, scenarios);
    }

    /** Why a row is not measured, or empty when it is. */
    static Optional<String> skipReason(Scenario s, String row, Peers peers, long openFiles) {
        return skipReason(s.connections(), row, peers, openFiles);
    }

    static Optional<String> skipReason(int conns, String row, Peers peers, long openFiles) {
        Optional<String> missing = peers.missing(row);
        if (missing.isPresent()) return missing;
        if (row.equals("select") && conns > SELECT_MAX_CONNECTIONS) {
            return Optional.of("n/a (FD_SETSIZE " + Posix.FD_SETSIZE + ": select watches fds below it, so our"
                    + " balancer on select holds at most " + SELECT_MAX_CONNECTIONS + " connections)");
        }
        if (!row.equals("direct") && (long) FDS_PER_CONNECTION * conns + HEADROOM_FDS > openFiles) {
            return Optional.of("n/a (open files limit " + openFiles + ": " + FDS_PER_CONNECTION * conns + " fds needed)");
        }
        return Optional.empty();
    }

    /** The machine, the versions and the set-up: the Markdown's header and machine.txt. */
    private static List<String> machine(StressSettings settings, LoadTool load, Optional<BulkLoad> bulk,
                                        String backends, long openFiles, ZonedDateTime started,
                                        SyscallCounter syscalls) {
        List<String> m = new ArrayList<>(List.of(
                "date: " + started.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z")),
                "machine: " + Host.cores() + " cores, " + Host.cpuModel() + ", " + Host.memory(),
                "OS: " + Host.osName(Host.os()) + ", kernel " + Host.kernel(),
                "JDK: " + System.getProperty("java.runtime.version") + " (" + System.getProperty("java.vendor")
                        + "); balancer JVM flags: " + balancerJvmFlags(settings.javaOpts()),
                "load: " + load.describe() + "; " + settings.warmupSeconds() + " s warm-up (" + load.warmupHow()
                        + "), then " + settings.durationSeconds()
                        + " s measured per row; each row a fresh proxy process"));
        bulk.ifPresent(b -> m.add("bulk: " + b.describe() + ", through a proxy with the bulk server as its only backend"));
        m.add("backends: " + backends + "; proxies use weighted round robin (high_perf_lb -a wrr, HAProxy roundrobin,"
                + " nginx weight=)");
        if (settings.threads() > 1) {
            m.add("threads: THREADS=" + settings.threads() + ": high_perf_lb --threads " + settings.threads()
                    + " (a SO_REUSEPORT listener per loop), HAProxy nbthread " + settings.threads()
                    + ", nginx worker_processes " + settings.threads() + " with reuseport; the load tool and the"
                    + " backends share the same " + Host.cores() + " cores");
        }
        m.add("versions: " + Versions.all());
        m.add("open files: soft limit raised to " + openFiles + " for this run and every process it starts");
        m.add("system calls: " + syscalls.whyNot().map(w -> "not counted: " + w)
                .orElse("perf stat -e " + SyscallCounter.EVENT + " -p (the proxy and its children)"));
        return m;
    }

    private void report(PrintStream stdout, LoadTool load, String loadTool,
                        Optional<BulkLoad> bulk, List<String> machine, List<RowResult> results, long wall,
                        SyscallCounter syscalls, MaxConnections max, List<Scenario> scenarios) {
        String jdk = System.getProperty("java.runtime.version");
        ZonedDateTime now = ZonedDateTime.now();
        boolean wrk = load == LoadTool.WRK;
        List<String> notes = new ArrayList<>();
        notes.add("syscalls/req and CPU µs/req: " + syscalls.whyNot().map(w -> "system calls not counted here: " + w)
                .orElse("the proxy's system calls (perf stat -e " + SyscallCounter.EVENT + ") and CPU time"
                        + " (utime + stime) over the measured window, divided by the requests in it")
                + ". A reactor's floor is 4 system calls per proxied keep-alive request: read the request from the"
                + " client, write it to the backend, read the answer, write it to the client; the rest is the wait"
                + " (epoll_wait, poll, select) and its share per request, and anything else the proxy's process does."
                + " The io_uring-completion row has no such floor: its reads and writes are operations, many"
                + " submitted and reaped per io_uring_enter");
        if (scenarios.stream().anyMatch(s -> s.kind() == Scenario.Kind.MAX)) {
            notes.add("max: " + max.why() + "; the load tool with " + LoadTool.threads(max.connections())
                    + " threads. Its connect burst is kept apart from request errors: connects that failed in connect"
                    + " err, SYNs dropped by a full accept queue in the notes (listen queue overflowed; resent after"
                    + " 1 s, so in p99). The chapter's rows are its own figures, not measured here");
        }
        bulk.ifPresent(b -> notes.add("bulk: one flow, Gb/s as the receiver counted it, with " + b.describe()
                + "; each proxy forwards to one server (iperf3's control and data connections must meet the same one)"));
        String targets = StressTargets.check(results);
        write(out.resolve("stress.md"), StressReport.markdown(machine, results, wrk, targets, notes));
        write(out.resolve("stress.csv"), StressReport.csv(results, load.csvName,
                bulk.map(b -> b.csvName).orElse(load.csvName)));

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
        String summary = StressReport.summary(heading, StressReport.text(results, wrk, notes), targets,
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
