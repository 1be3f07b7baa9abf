package hpio.measure;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
        files.add(bars(dir.resolve("requests-per-second.svg"), "Requests per second, per row (higher is better)",
                "req/s", rows, RowResult::rps));
        files.add(bars(dir.resolve("p99-latency.svg"), "p99 latency, per row (lower is better)",
                "p99, ms", rows, RowResult::p99));
        return files;
    }

    /** A grouped bar chart of one column; a row not measured ("-") keeps its slot, empty. */
    static Path bars(Path file, String title, String axis, List<RowResult> rows, Function<RowResult, String> column)
            throws IOException {
        List<Charts.Bar> bars = new ArrayList<>();
        for (RowResult r : rows) bars.add(new Charts.Bar(r.scenario(), r.row(), Numbers.parse(column.apply(r))));
        Charts.bars(file, title, axis, bars);
        return file;
    }
}
