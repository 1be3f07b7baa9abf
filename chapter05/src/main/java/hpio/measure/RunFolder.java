package hpio.measure;

import hpio.measure.StressRunner.Abort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * Where a run's results go: {@code results/<timestamp>-stress/}, one folder per
 * run, named so that a listing sorts by time and {@code make bench}'s folders
 * can sit beside. It holds:
 * <pre>
 *   stress.md, stress.csv   the table (Markdown with the machine above it; CSV, every figure as measured)
 *   summary.txt             what the terminal showed at the end
 *   commands.txt            every command the run started (wrk, iperf3, perf, proxies, backends), in order
 *   machine.txt             the machine and the versions (kernel, CPU, JDK, wrk, HAProxy, nginx, iperf3, perf)
 *   conf/                   the peers' generated configurations
 *   logs/                   every process's output
 * </pre>
 * results/ keeps a .gitignore of its own that leaves all of it out of git: a
 * run worth keeping is added by hand ({@code git add -f}).
 */
final class RunFolder {
    private RunFolder() {}

    static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    static final String GITIGNORE = """
            # Every run of make stress writes a folder here; none is kept in git
            # unless chosen: git add -f results/<folder>
            *
            !.gitignore
            """;

    /** "20261201-071118-stress". */
    static String name(ZonedDateTime started) {
        return started.format(STAMP) + "-stress";
    }

    /** Creates the run's folder under {@code results} (with logs/ and conf/), and results/.gitignore if missing. */
    static Path create(Path results, ZonedDateTime started) {
        Path out = results.resolve(name(started));
        // Two runs started in the same second (scripts, tests): the second gets a suffix, never the first's folder.
        for (int n = 2; Files.exists(out); n++) out = results.resolve(name(started) + "-" + n);
        try {
            Files.createDirectories(out.resolve("logs"));
            Files.createDirectories(out.resolve("conf"));
            Path ignore = results.resolve(".gitignore");
            if (!Files.exists(ignore)) Files.writeString(ignore, GITIGNORE);
        } catch (IOException e) {
            throw new Abort("cannot create " + out + ": " + e.getMessage());
        }
        return out;
    }
}
