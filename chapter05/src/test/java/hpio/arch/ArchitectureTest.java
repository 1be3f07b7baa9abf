package hpio.arch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering, checked on the sources: a package imports only from the layers
 * below it. Lowest first:
 *
 * <pre>
 *   nativeio            FFM bindings: libc, epoll, kqueue
 *   net | loop          the socket layer | the event loop (siblings: neither imports the other)
 *   transport           pairs a loop with its socket layer
 *   proactor            io_uring operations and their completions (the balancer's completion path)
 *   lb                  the load balancer (and lb.hooks, the exercises' seams)
 *   demo                the demo backend
 *   measure             the load generator and the stress harness (which starts demo backends)
 * </pre>
 *
 * A plain reader of import lines (static imports included), so it needs nothing
 * but the JDK. Also: no file of the main sources longer than 350 lines, and no
 * class found by name (Class.forName).
 */
class ArchitectureTest {
    private static final Path MAIN = Path.of("src/main/java");
    private static final Map<String, Integer> LAYER = Map.of(
            "nativeio", 0, "net", 1, "loop", 1, "transport", 2, "proactor", 2, "lb", 3, "demo", 4, "measure", 5);
    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?hpio\\.([a-z]+)\\.", Pattern.MULTILINE);
    private static final int MAX_LINES = 350;

    private static List<Path> sources() throws IOException {
        try (Stream<Path> files = Files.walk(MAIN)) {
            return files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }

    /** "loop" for hpio/loop/backends/EpollBackend.java. */
    private static String topPackage(Path file) {
        return MAIN.relativize(file).getName(1).toString();
    }

    @Test
    void everyPackageImportsOnlyFromTheLayersBelowIt() throws IOException {
        List<String> wrong = new ArrayList<>();
        for (Path file : sources()) {
            String from = topPackage(file);
            Integer fromLayer = LAYER.get(from);
            if (fromLayer == null) {
                wrong.add(file + ": package hpio." + from + " has no layer; add it to ArchitectureTest.LAYER");
                continue;
            }
            Matcher m = IMPORT.matcher(Files.readString(file));
            while (m.find()) {
                String to = m.group(1);
                if (to.equals(from)) continue;
                Integer toLayer = LAYER.get(to);
                if (toLayer == null || toLayer >= fromLayer) {
                    wrong.add(file + ": hpio." + from + " imports hpio." + to + " (" + m.group().trim() + "...), "
                            + "which is not below it");
                }
            }
        }
        assertThat(wrong).as("imports against the layering").isEmpty();
    }

    @Test
    void noMainSourceFileIsLongerThan350Lines() throws IOException {
        List<String> tooLong = new ArrayList<>();
        for (Path file : sources()) {
            long lines = Files.readAllLines(file).size();
            if (lines > MAX_LINES) tooLong.add(file + ": " + lines + " lines");
        }
        assertThat(tooLong).as("files to split by job").isEmpty();
    }

    @Test
    void noClassIsLookedUpByName() throws IOException {
        List<String> found = new ArrayList<>();
        for (Path file : sources()) {
            if (Files.readString(file).contains("Class." + "forName")) found.add(file.toString());
        }
        assertThat(found).as("Class.forName: pass objects, or use ServiceLoader").isEmpty();
    }
}
