package hpio.measure;

import hpio.lb.HighPerfLb;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code make soak}: the balancer under load and faults for minutes, on each event
 * backend asked for, one after another; one closing line each, a Markdown report
 * in {@code results/<time>-soak/report.md}, exit status 0 only when every promise
 * held on every backend (1 when one did not or the run could not start, 2 for a
 * bad setting). The settings are in {@link SoakSettings}.
 */
public final class SoakRunner {
    private SoakRunner() {}

    public static void main(String[] args) {
        SoakSettings settings;
        try {
            settings = SoakSettings.parse(System.getenv());
        } catch (SoakSettings.BadSetting e) {
            System.err.println("soak: " + e.getMessage());
            System.exit(2);
            return;
        }
        String why = threadsUnsupported(settings.threads());
        if (why != null) {
            System.err.println("soak: " + why);
            System.exit(2);
            return;
        }
        Children children = new Children();
        Runtime.getRuntime().addShutdownHook(new Thread(children::stopAll, "soak-stop-children"));
        try {
            List<SoakRun.Result> results = run(settings, Path.of("results"), System.out, children, 5);
            System.exit(results.stream().allMatch(SoakRun.Result::passed) ? 0 : 1);
        } catch (IOException | RuntimeException e) {
            System.err.println("soak: cannot run: " + e.getMessage());
            System.exit(1);
        } catch (InterruptedException e) {
            System.exit(1);
        }
    }

    /**
     * Null when the balancer can run with {@code threads}; else the one line why not.
     * The option is looked for in the balancer's own usage, so the soak passes
     * --threads as soon as the balancer has it.
     */
    static String threadsUnsupported(int threads) {
        if (threads == 1) return null;
        ByteArrayOutputStream usage = new ByteArrayOutputStream();
        HighPerfLb.run(new String[] {"--help"}, new PrintStream(usage, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        if (usage.toString(StandardCharsets.UTF_8).contains("--threads")) return null;
        return "THREADS=" + threads + ": this balancer has no --threads option yet; run with THREADS=1";
    }

    /** Soaks each backend of the settings, printing progress and closing lines; writes the report. */
    static List<SoakRun.Result> run(SoakSettings settings, Path resultsRoot, PrintStream out, Children children,
                                    int progressSeconds) throws IOException, InterruptedException {
        ZonedDateTime now = ZonedDateTime.now();
        Path dir = resultsRoot.resolve(now.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-soak");
        Files.createDirectories(dir);
        String jvmFlags = jvmFlags(settings.javaOpts());
        out.println("soak: " + String.join(", ", settings.backends()) + ", " + settings.durationSeconds() + " s each, "
                + settings.connections() + " clients, --max-conns " + settings.maxConns() + ", seed "
                + settings.seed() + "; report in " + dir);
        long start = System.nanoTime();
        List<SoakRun.Result> results = new ArrayList<>();
        for (String backend : settings.backends()) {
            SoakRun.Result r = new SoakRun(settings, backend, dir, out, children, jvmFlags, progressSeconds).run();
            results.add(r);
            out.println(r.closingLine());
            for (String p : r.problems()) out.println("  " + p);
        }
        String heading = "make soak: " + now.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")) + ", "
                + Host.cores() + " cores, " + Host.kernel() + ", JDK " + System.getProperty("java.runtime.version");
        String wall = Numbers.minutesSeconds((System.nanoTime() - start) / 1_000_000_000L);
        Files.writeString(dir.resolve("report.md"), SoakReport.markdown(heading, settings, jvmFlags, results, wall));
        if (results.size() > 1) results.forEach(r -> out.println(r.closingLine()));
        out.println("soak: report in " + dir.resolve("report.md"));
        return results;
    }

    /** JAVA_OPTS when set, else the launcher's default flags (read from it), else a small heap. */
    static String jvmFlags(String javaOpts) {
        if (!javaOpts.isEmpty()) return javaOpts;
        for (Path launcher : List.of(Path.of("high_perf_lb"), Path.of("../high_perf_lb"))) {
            String flags = Host.find(Host.read(launcher), "^HPIO_JVM_FLAGS=\"(.*)\"$");
            if (!flags.isEmpty()) return flags;
        }
        return "-XX:+UseSerialGC -Xmx128m";
    }
}
