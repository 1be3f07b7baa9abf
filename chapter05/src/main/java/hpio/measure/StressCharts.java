package hpio.measure;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The charts of a {@code make stress} run, beside its table: one bar per row,
 * grouped by scenario, one chart per column worth seeing. A new column gets its
 * chart with one more line in {@link #write}.
 */
final class StressCharts {
    private StressCharts() {}

    /** Draws every chart into {@code dir}; returns the files written, in order. */
    static List<Path> write(Path dir, List<RowResult> rows) throws IOException {
        List<Path> files = new ArrayList<>();
        addIfDrawn(files, bars(dir.resolve("requests-per-second.svg"), "Requests per second, per row (higher is better)",
                "req/s", rows, RowResult::rps));
        addIfDrawn(files, bars(dir.resolve("p99-latency.svg"), "p99 latency, per row (lower is better)",
                "p99, ms", rows, RowResult::p99));
        addIfDrawn(files, bars(dir.resolve("syscalls-per-request.svg"),
                "System calls per request, per row (the floor for a proxy is 4)", "syscalls/req", rows,
                RowResult::syscallsPerRequest));
        addIfDrawn(files, bars(dir.resolve("bulk-gbps.svg"), "Bulk transfer, Gb/s per row (higher is better)", "Gb/s", rows,
                RowResult::gbps));
        return files;
    }

    private static void addIfDrawn(List<Path> files, Path chart) {
        if (chart != null) files.add(chart);
    }

    /**
     * A grouped bar chart of one column; a row not measured ("-") keeps its slot, empty.
     * Returns null, drawing nothing, when no row of the run has this column (no bulk scenario, say).
     */
    static Path bars(Path file, String title, String axis, List<RowResult> rows, Function<RowResult, String> column)
            throws IOException {
        // Only the scenarios where this column was measured (Gb/s is bulk's alone), and never the chapter's
        // own figures, which are not ours to chart.
        Set<String> measured = new HashSet<>();
        for (RowResult r : rows) if (Numbers.parse(column.apply(r)) != null) measured.add(r.scenario());
        measured.remove(ChapterFigures.SCENARIO);
        List<Charts.Bar> bars = new ArrayList<>();
        for (RowResult r : rows) {
            if (measured.contains(r.scenario())) {
                bars.add(new Charts.Bar(r.scenario(), r.row(), Numbers.parse(column.apply(r))));
            }
        }
        if (bars.isEmpty()) return null;
        Charts.bars(file, title, axis, bars);
        return file;
    }
}
