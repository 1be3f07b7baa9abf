package hpio.bench;

import hpio.measure.Charts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Prints the runOnce table from JMH's JSON result: rows are idle-fd counts,
 * columns the backends and the bare epoll_wait floor, then the ratios the
 * chapter claims (O(n) for select and poll, O(1) for epoll and nio), each
 * against its target, all from this one run. With {@code -prof gc} results it
 * adds the allocation per runOnce.
 *
 * <p>Usage: {@code BenchReport <runonce.json>}. Exit 0 when the table was printed
 * (a missed target is a measurement, not an error), 1 when the file is unusable.
 */
public final class BenchReport {
    private BenchReport() {}

    static final List<String> BACKENDS = List.of("select", "poll", "epoll", "io_uring", "nio");
    static final String FLOOR = "epoll_wait";
    static final String FLOOR_HEADING = "epoll_wait floor";

    /**
     * One measured configuration. {@code score} is the median of the measured
     * iterations, not JMH's mean: on a shared 2-core machine another process can
     * stall a whole iteration, and one such outlier moves a mean of 3 to 10
     * iterations far more than the cost being measured (JMH's mean and 99.9%
     * interval stay in its own output and the JSON).
     */
    record Result(String column, int idleFds, double score, int samples, String unit,
                  double allocPerOp, double allocRateMBs) {}

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: BenchReport <jmh-result.json>");
            System.exit(2);
        }
        Path file = Path.of(args[0]);
        List<Result> results;
        try {
            results = parse(Files.readString(file));
        } catch (IOException | RuntimeException e) {
            System.err.println("bench report: cannot read " + file + ": " + e.getMessage());
            System.exit(1);
            return;
        }
        if (results.isEmpty()) {
            System.err.println("bench report: " + file + " holds no runOnce or epoll_wait results");
            System.exit(1);
        }
        System.out.print(render(results));
        Path svg = file.resolveSibling("runonce.svg");
        try {
            svgChart(svg, results);
            System.out.println("\n  chart: " + svg);
        } catch (IOException | RuntimeException | LinkageError | java.awt.AWTError e) {
            // The table is the result; a machine that cannot draw (no fonts) still has it.
            System.out.println("\n  chart not drawn: " + e);
        }
    }

    /**
     * The medians of the table as an SVG line chart, log scales on both axes, one
     * line per backend and the floor: the same picture as {@link #chart}.
     */
    static void svgChart(Path file, List<Result> results) throws IOException {
        List<String> columns = new ArrayList<>(BACKENDS);
        columns.add(FLOOR);
        List<Charts.Series> series = new ArrayList<>();
        for (String column : columns) {
            List<Charts.Point> points = results.stream().filter(r -> r.column().equals(column))
                    .sorted(java.util.Comparator.comparingInt(Result::idleFds))
                    .map(r -> new Charts.Point(r.idleFds(), nanos(r))).toList();
            if (!points.isEmpty()) series.add(new Charts.Series(column.equals(FLOOR) ? FLOOR_HEADING : column, points));
        }
        Charts.logLog(file, "Cost of one runOnce with 1 ready fd among N idle fds (median)",
                "N idle fds (log scale)", "ns per runOnce (log scale)", series);
    }

    // ---- reading JMH's JSON ----

    /** The results in JMH's JSON that this report knows (runOnce per backend, the epoll_wait floor). */
    static List<Result> parse(String json) {
        List<Result> out = new ArrayList<>();
        for (Object o : (List<?>) new Json(json).value()) {
            Map<?, ?> run = (Map<?, ?>) o;
            String benchmark = (String) run.get("benchmark");
            Map<?, ?> params = run.get("params") instanceof Map<?, ?> p ? p : Map.of();
            String column;
            if (benchmark.endsWith(".epollWait")) column = FLOOR;
            else if (benchmark.endsWith(".runOnce") && params.get("backend") instanceof String b) column = b;
            else continue;
            Map<?, ?> primary = (Map<?, ?>) run.get("primaryMetric");
            double allocNorm = Double.NaN, allocRate = Double.NaN;
            if (run.get("secondaryMetrics") instanceof Map<?, ?> secondary) {
                for (var e : secondary.entrySet()) {
                    String name = (String) e.getKey();
                    Map<?, ?> metric = (Map<?, ?>) e.getValue();
                    if (name.endsWith("gc.alloc.rate.norm")) allocNorm = median(metric);
                    else if (name.endsWith("gc.alloc.rate")) allocRate = median(metric);
                }
            }
            int samples = 0;
            if (primary.get("rawData") instanceof List<?> forks) {
                for (Object fork : forks) if (fork instanceof List<?> iterations) samples += iterations.size();
            }
            out.add(new Result(column, Integer.parseInt(String.valueOf(params.get("idleFds"))),
                    median(primary), samples,
                    (String) primary.get("scoreUnit"), allocNorm, allocRate));
        }
        return out;
    }

    /** The median over all measured iterations of all forks (JMH's 50th percentile), else the mean. */
    private static double median(Map<?, ?> metric) {
        if (metric.get("scorePercentiles") instanceof Map<?, ?> percentiles && percentiles.containsKey("50.0")) {
            return number(percentiles.get("50.0"));
        }
        return number(metric.get("score"));
    }

    /** JMH writes NaN and infinities as strings. */
    private static double number(Object o) {
        if (o instanceof Double d) return d;
        if (o instanceof String s) {
            try { return Double.parseDouble(s); } catch (NumberFormatException e) { return Double.NaN; }
        }
        return Double.NaN;
    }

    // ---- the report ----

    static String render(List<Result> results) {
        Map<String, Result> byKey = new LinkedHashMap<>();
        TreeSet<Integer> rows = new TreeSet<>();
        TreeSet<String> units = new TreeSet<>();
        for (Result r : results) {
            byKey.put(r.column() + "/" + r.idleFds(), r);
            rows.add(r.idleFds());
            units.add(r.unit());
        }
        List<String> columns = new ArrayList<>(BACKENDS);
        columns.add(FLOOR);
        String unit = String.join(",", units);

        StringBuilder out = new StringBuilder();
        int samples = results.stream().mapToInt(Result::samples).min().orElse(0);
        out.append('\n').append("Cost of one runOnce (wait + dispatch) with 1 ready fd among N idle fds, ").append(unit)
                .append(", median of ").append(samples).append(" measured iterations\n\n");
        List<String[]> table = new ArrayList<>();
        table.add(heading(columns));
        for (int n : rows) {
            String[] row = new String[columns.size() + 1];
            row[0] = group(n);
            for (int c = 0; c < columns.size(); c++) {
                Result r = byKey.get(columns.get(c) + "/" + n);
                row[c + 1] = r == null ? "-" : number(r.score());
            }
            table.add(row);
        }
        appendTable(out, table);
        out.append("  (-: not measured; select stops at 900, under FD_SETSIZE=1024 beside the JVM's own fds)\n");
        out.append(chart(results));

        out.append("\nTargets (ratios of the medians above, all from this run):\n");
        List<String[]> checks = new ArrayList<>();
        int[] met = new int[2];   // {met, total}
        checks.add(growth(byKey, "select", 900, 10, true, met));
        checks.add(growth(byKey, "poll", 1000, 10, true, met));
        checks.add(growth(byKey, "epoll", 10000, 10, false, met));
        if (byKey.containsKey("io_uring/10") || byKey.containsKey("io_uring/10000")) {
            checks.add(growth(byKey, "io_uring", 10000, 10, false, met));
        }
        checks.add(growth(byKey, "nio", 10000, 10, false, met));
        for (int n : rows) {
            if (byKey.containsKey("epoll/" + n) || byKey.containsKey(FLOOR + "/" + n)) {
                checks.add(check("epoll runOnce / bare epoll_wait, N=" + group(n),
                        byKey.get("epoll/" + n), byKey.get(FLOOR + "/" + n), false, met));
            }
        }
        appendRows(out, checks);
        out.append(String.format(Locale.ROOT, "  %d of %d targets met%n", met[0], met[1]));

        if (results.stream().anyMatch(r -> !Double.isNaN(r.allocPerOp()))) appendAllocation(out, results, byKey, rows, columns);
        return out.toString();
    }

    // ---- the chart ----

    static final int CHART_WIDTH = 80;
    private static final int PLOT_LEFT = 11;           // "  100 us |": the y labels and the axis
    private static final String SERIES_LETTERS = "speunf";

    /**
     * The same medians as a picture: cost per runOnce (log scale, three or four
     * rows per decade) against N (log scale too, so 10, 100, 1,000 and 10,000
     * are evenly spaced), one letter per series. The O(n) series climb a decade
     * per decade of N; the O(1) ones stay flat. At most {@link #CHART_WIDTH}
     * columns. Ns within 10% of each other share a column (select's 900 stands
     * with the others' 1,000); within a column each series keeps its own
     * sub-column, so no letter hides another.
     */
    static String chart(List<Result> results) {
        List<String> series = new ArrayList<>(BACKENDS);
        series.add(FLOOR);
        List<Result> points = new ArrayList<>();
        for (Result r : results) {
            double ns = nanos(r);
            if (series.contains(r.column()) && ns > 0 && !Double.isNaN(ns) && r.idleFds() > 0) points.add(r);
        }
        if (points.isEmpty()) return "";

        // x: groups of N, evenly spaced by log10(N).
        TreeSet<Integer> ns = new TreeSet<>();
        for (Result r : points) ns.add(r.idleFds());
        List<List<Integer>> groups = new ArrayList<>();
        for (int n : ns) {
            List<Integer> last = groups.isEmpty() ? null : groups.getLast();
            if (last != null && Math.log10(n) - Math.log10(last.get(0)) < Math.log10(1.12)) last.add(n);
            else groups.add(new ArrayList<>(List.of(n)));
        }
        int cluster = 2 * series.size() - 1;                 // "s p e u n f"
        int plotWidth = CHART_WIDTH - PLOT_LEFT - 2;
        double lo = Math.log10(groups.get(0).getLast());
        double hi = Math.log10(groups.getLast().getLast());
        int[] center = new int[groups.size()];
        for (int g = 0; g < groups.size(); g++) {
            double at = hi > lo ? (Math.log10(groups.get(g).getLast()) - lo) / (hi - lo) : 0.5;
            center[g] = PLOT_LEFT + 1 + cluster / 2 + 1 + (int) Math.round(at * (plotWidth - cluster - 2));
        }

        // y: whole decades around the data, three rows per decade.
        double min = Double.MAX_VALUE, max = 0;
        for (Result r : points) {
            min = Math.min(min, nanos(r));
            max = Math.max(max, nanos(r));
        }
        int bottom = (int) Math.floor(Math.log10(min));
        int top = Math.max(bottom + 1, (int) Math.ceil(Math.log10(max)));
        int perDecade = top - bottom <= 5 ? 4 : 3;
        int height = (top - bottom) * perDecade + 1;
        char[][] grid = new char[height][CHART_WIDTH];
        for (char[] line : grid) java.util.Arrays.fill(line, ' ');
        for (Result r : points) {
            int row = (int) Math.round((Math.log10(nanos(r)) - bottom) * perDecade);
            int g = 0;
            while (!groups.get(g).contains(r.idleFds())) g++;
            int k = series.indexOf(r.column());
            grid[row][center[g] - cluster / 2 + 2 * k] = SERIES_LETTERS.charAt(k);
        }

        StringBuilder out = new StringBuilder();
        out.append("\nThe medians above, drawn: runOnce cost against N idle fds, log scales\n\n");
        for (int row = height - 1; row >= 0; row--) {
            String label = (row % perDecade == 0) ? duration(bottom + row / perDecade) : "";
            StringBuilder line = new StringBuilder();
            line.append(" ".repeat(PLOT_LEFT - 2 - label.length())).append(label).append(" |");
            line.append(new String(grid[row], PLOT_LEFT, CHART_WIDTH - PLOT_LEFT));
            out.append(line.toString().stripTrailing()).append('\n');
        }
        char[] axis = new char[CHART_WIDTH];
        java.util.Arrays.fill(axis, ' ');
        java.util.Arrays.fill(axis, PLOT_LEFT - 1, CHART_WIDTH - 1, '-');
        axis[PLOT_LEFT - 1] = '+';
        char[] labels = new char[CHART_WIDTH];
        java.util.Arrays.fill(labels, ' ');
        for (int g = 0; g < groups.size(); g++) {
            axis[center[g]] = '+';
            StringBuilder text = new StringBuilder();
            for (int n : groups.get(g)) text.append(text.isEmpty() ? "" : "/").append(group(n));
            int from = Math.max(0, Math.min(CHART_WIDTH - text.length(), center[g] - text.length() / 2));
            text.getChars(0, text.length(), labels, from);
        }
        out.append(new String(axis).stripTrailing()).append('\n');
        out.append(new String(labels).stripTrailing()).append('\n');
        String caption = "N idle fds";
        out.append(" ".repeat(CHART_WIDTH - 1 - caption.length())).append(caption).append('\n');
        out.append("  s = select  p = poll  e = epoll  u = io_uring  n = nio  f = bare epoll_wait\n");
        return out.toString();
    }

    /** 10^exponent nanoseconds, as a short label: 100 ns, 1 us, 10 ms, 1 s. */
    private static String duration(int exponent) {
        String[] units = {"ns", "us", "ms", "s"};
        int unit = Math.min(3, Math.max(0, Math.floorDiv(exponent, 3)));
        int rest = exponent - 3 * unit;
        if (rest < 0) return "1e" + exponent + " ns";
        long value = (long) Math.pow(10, rest);
        return String.format(Locale.ROOT, "%,d %s", value, units[unit]);
    }

    /** cost(N=big) / cost(N=small) for one backend: at least 20x (O(n)) or at most 2x (O(1)). */
    private static String[] growth(Map<String, Result> byKey, String backend, int big, int small, boolean atLeast20, int[] met) {
        return check(backend + " cost(N=" + group(big) + ") / cost(N=" + group(small) + ")",
                byKey.get(backend + "/" + big), byKey.get(backend + "/" + small), atLeast20, met);
    }

    private static String[] check(String what, Result top, Result bottom, boolean atLeast20, int[] met) {
        met[1]++;
        String target = atLeast20 ? ">= 20x" : "<= 2x";
        if (top == null || bottom == null) return new String[] {what, "not measured", "target " + target, "MISS"};
        double ratio = top.score() / bottom.score();
        boolean pass = atLeast20 ? ratio >= 20 : ratio <= 2;
        if (pass) met[0]++;
        return new String[] {what, "= " + ratio(ratio), "target " + target, pass ? "PASS" : "MISS"};
    }

    /**
     * B/op per cell. JMH's figure is the whole process's allocation divided by the
     * ops: when one op takes milliseconds (poll at 10,000), the JVM's background
     * allocation (estimated as the lowest rate seen in the run) alone adds tens of
     * B/op. A cell is marked only when what remains after that is at least 8 B/op:
     * the smallest object is 16 bytes, so a real per-op allocation is not hidden.
     */
    private static void appendAllocation(StringBuilder out, List<Result> results, Map<String, Result> byKey,
                                         TreeSet<Integer> rows, List<String> columns) {
        double background = results.stream().mapToDouble(Result::allocRateMBs)
                .filter(d -> !Double.isNaN(d)).min().orElse(0);
        out.append(String.format(Locale.ROOT,
                "%nAllocation per op (-prof gc, B/op, median; ! = allocates on the hot path, judged after "
                        + "subtracting the JVM's background %.2f MB/s)%n%n", background));
        List<String[]> table = new ArrayList<>();
        table.add(heading(columns));
        Map<String, List<String>> flagged = new LinkedHashMap<>();
        for (int n : rows) {
            String[] row = new String[columns.size() + 1];
            row[0] = group(n);
            for (int c = 0; c < columns.size(); c++) {
                Result r = byKey.get(columns.get(c) + "/" + n);
                if (r == null || Double.isNaN(r.allocPerOp())) { row[c + 1] = "-"; continue; }
                double net = r.allocPerOp() - background * 1e6 * nanos(r) * 1e-9;
                boolean hot = net >= 8;
                row[c + 1] = String.format(Locale.ROOT, "%.1f%s", r.allocPerOp(), hot ? " !" : "");
                if (hot) flagged.computeIfAbsent(columns.get(c), k -> new ArrayList<>())
                        .add(String.format(Locale.ROOT, "N=%s (%.0f B/op)", group(n), r.allocPerOp()));
            }
            table.add(row);
        }
        appendTable(out, table);
        if (flagged.isEmpty()) {
            out.append("  steady state: no allocation on the hot path\n");
            return;
        }
        out.append("  allocates on the hot path:\n");
        flagged.forEach((column, cells) ->
                out.append("    ").append(column).append(": ").append(String.join(", ", cells)).append('\n'));
        // Both causes seen so far are inside the JDK, not in our loop; say so, where they apply.
        out.append("  known causes:\n");
        if (flagged.containsKey("nio")) {
            out.append("""
                        nio, 16 B/op once the ready fd is 128 or more: the JDK's EPollSelectorImpl finds the key
                          in a HashMap<Integer, SelectionKeyImpl>, boxing the fd; Integer's cache stops at 127
                          (-XX:AutoBoxCacheMax=20000 makes it 0 B/op).
                    """);
        }
        if (flagged.containsKey("select") || flagged.containsKey("poll")) {
            out.append("""
                        select, poll: 40 B/op in some JVM runs, 0 in others. A downcall linked with captureCallState
                          slices the errno segment on every call (JDK SharedUtils.checkCaptureSegment); C2 removes
                          that object only if it inlines the whole call, and with these larger methods it sometimes
                          gives up ("callee uses too much stack").
                    """);
        }
    }

    private static double nanos(Result r) {
        return switch (r.unit()) {
            case "ns/op" -> r.score();
            case "us/op" -> r.score() * 1e3;
            case "ms/op" -> r.score() * 1e6;
            case "s/op" -> r.score() * 1e9;
            default -> Double.NaN;
        };
    }

    private static String[] heading(List<String> columns) {
        String[] head = new String[columns.size() + 1];
        head[0] = "idle fds N";
        for (int c = 0; c < columns.size(); c++) head[c + 1] = columns.get(c).equals(FLOOR) ? FLOOR_HEADING : columns.get(c);
        return head;
    }

    private static void appendTable(StringBuilder out, List<String[]> table) {
        int[] width = new int[table.get(0).length];
        for (String[] row : table) for (int c = 0; c < row.length; c++) width[c] = Math.max(width[c], row[c].length());
        for (int i = 0; i < table.size(); i++) {
            String[] row = table.get(i);
            StringBuilder line = new StringBuilder("  ");
            for (int c = 0; c < row.length; c++) {
                line.append(c == 0 ? "" : c == 1 ? " | " : "   ")
                        .append(" ".repeat(width[c] - row[c].length())).append(row[c]);
            }
            out.append(line).append('\n');
            if (i == 0) {
                StringBuilder rule = new StringBuilder("  ");
                for (int c = 0; c < row.length; c++) {
                    rule.append(c == 0 ? "" : c == 1 ? "-+-" : "---").append("-".repeat(width[c]));
                }
                out.append(rule).append('\n');
            }
        }
    }

    private static void appendRows(StringBuilder out, List<String[]> rows) {
        int[] width = new int[4];
        for (String[] r : rows) for (int c = 0; c < 4; c++) width[c] = Math.max(width[c], r[c].length());
        for (String[] r : rows) {
            out.append(String.format(Locale.ROOT, "  %-" + width[0] + "s  %" + width[1] + "s   %-" + width[2] + "s  %s%n",
                    r[0], r[1], r[2], r[3]));
        }
    }

    private static String group(long n) { return String.format(Locale.ROOT, "%,d", n); }

    private static String number(double v) {
        if (Double.isNaN(v)) return "NaN";
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String ratio(double r) {
        return Double.isNaN(r) ? "NaN" : String.format(Locale.ROOT, r >= 10 ? "%.0fx" : "%.2fx", r);
    }

    /** Just enough JSON for JMH's result file: objects, arrays, strings, numbers, literals. */
    static final class Json {
        private final String s;
        private int i;

        Json(String s) { this.s = s; }

        Object value() {
            Object v = read();
            skipSpace();
            if (i != s.length()) throw error("trailing text");
            return v;
        }

        private Object read() {
            skipSpace();
            if (i >= s.length()) throw error("unexpected end");
            char c = s.charAt(i);
            return switch (c) {
                case '{' -> object();
                case '[' -> array();
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> numberValue();
            };
        }

        private Map<String, Object> object() {
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            skipSpace();
            if (peek() == '}') { i++; return m; }
            while (true) {
                skipSpace();
                String key = string();
                skipSpace();
                expect(':');
                m.put(key, read());
                skipSpace();
                if (peek() == ',') { i++; continue; }
                expect('}');
                return m;
            }
        }

        private List<Object> array() {
            List<Object> a = new ArrayList<>();
            i++;
            skipSpace();
            if (peek() == ']') { i++; return a; }
            while (true) {
                a.add(read());
                skipSpace();
                if (peek() == ',') { i++; continue; }
                expect(']');
                return a;
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                if (i >= s.length()) throw error("unterminated string");
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c != '\\') { b.append(c); continue; }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> { b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
                    default -> b.append(e);    // \" \\ \/
                }
            }
        }

        private Double numberValue() {
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
            if (start == i) throw error("unexpected '" + s.charAt(i) + "'");
            return Double.parseDouble(s.substring(start, i));
        }

        private Object literal(String word, Object v) {
            if (!s.startsWith(word, i)) throw error("expected " + word);
            i += word.length();
            return v;
        }

        private char peek() { return i < s.length() ? s.charAt(i) : '\0'; }

        private void expect(char c) {
            if (peek() != c) throw error("expected '" + c + "'");
            i++;
        }

        private void skipSpace() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("bad JSON at offset " + i + ": " + what);
        }
    }
}
