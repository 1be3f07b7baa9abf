package hpio.measure;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The table of a run, three ways: as text for the terminal, as Markdown (with the
 * machine it ran on above it) and as CSV (every figure as measured, one line per
 * row, for a spreadsheet). In the text and Markdown tables the scenario is named
 * once, on its first row.
 */
final class StressReport {
    private StressReport() {}

    static final String[] HEADINGS = {"scenario", "row", "req/s", "p50 ms", "p99 ms", "errors", "connect err",
            "CPU %", "peak RSS MB", "syscalls/req", "CPU µs/req", "Gb/s", "notes"};

    static final String CSV_HEADER = "scenario,row,load_tool,requests_per_s,p50_ms,p99_ms,errors,connect_errors,"
            + "cpu_percent,peak_rss_mb,syscalls_per_request,cpu_us_per_request,gbps,notes";

    /** The columns of figures (between the row's name and the notes). */
    private static final int FIRST_FIGURE = 2, NOTES = HEADINGS.length - 1;

    private static final String CPU_NOTE = "the proxy process(es) over the measured seconds, 100 = one core";

    /**
     * The columns shown: the names, the notes, and each column of figures that has
     * at least one in this run (a run without bulk rows shows no Gb/s; without
     * perf, no system calls). The CSV keeps every column.
     */
    static List<Integer> columns(List<RowResult> rows) {
        List<Integer> shown = new ArrayList<>(List.of(0, 1));
        for (int c = FIRST_FIGURE; c < NOTES; c++) {
            int col = c;
            if (rows.stream().anyMatch(r -> !r.cells()[col].equals(RowResult.NONE))) shown.add(c);
        }
        shown.add(NOTES);
        return shown;
    }

    private static String[] pick(String[] all, List<Integer> columns) {
        return columns.stream().map(c -> all[c]).toArray(String[]::new);
    }

    /** Each row's cells as shown: the repeated scenario blank, req/s grouped, latencies rounded for reading. */
    static List<String[]> shown(List<RowResult> rows) {
        List<Integer> columns = columns(rows);
        List<String[]> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            String[] c = rows.get(i).cells();
            if (i > 0 && c[0].equals(rows.get(i - 1).scenario())) c[0] = "";
            c[2] = Numbers.group(c[2]);
            c[3] = Numbers.millisCell(c[3]);
            c[4] = Numbers.millisCell(c[4]);
            out.add(pick(c, columns));
        }
        return out;
    }

    static String text(List<RowResult> rows, boolean wrk) {
        return text(rows, wrk, List.of());
    }

    /** The text table, with a rule between scenarios, what CPU and RSS mean beneath it, then {@code notes}. */
    static String text(List<RowResult> rows, boolean wrk, List<String> notes) {
        List<String[]> cells = shown(rows);
        String[] headings = pick(HEADINGS, columns(rows));
        int[] width = new int[headings.length];
        for (int c = 0; c < width.length; c++) {
            width[c] = headings[c].length();
            for (String[] r : cells) width[c] = Math.max(width[c], r[c].length());
        }
        StringBuilder rule = new StringBuilder("  ");
        for (int c = 0; c < width.length; c++) rule.append(c > 0 ? "-+-" : "").append("-".repeat(width[c]));
        StringBuilder t = new StringBuilder();
        t.append(line(headings, width)).append('\n').append(rule).append('\n');
        for (int i = 0; i < rows.size(); i++) {
            if (i > 0 && !rows.get(i).scenario().equals(rows.get(i - 1).scenario())) t.append(rule).append('\n');
            t.append(line(cells.get(i), width)).append('\n');
        }
        t.append("  (CPU %: ").append(CPU_NOTE).append("; RSS: its peak resident size, VmHWM)\n");
        if (wrk) t.append("  (wrk opens its connections anew for the measured run: with thousands, the connect burst is in it)\n");
        for (String n : notes) t.append("  (").append(n).append(")\n");
        return t.toString();
    }

    /** Names, labels and notes to the left; figures to the right; no trailing blanks. */
    private static String line(String[] cells, int[] width) {
        StringBuilder l = new StringBuilder();
        for (int c = 0; c < cells.length; c++) {
            l.append(c > 0 ? " | " : "  ");
            boolean left = c <= 1 || c == cells.length - 1;
            String pad = " ".repeat(width[c] - cells[c].length());
            l.append(left ? cells[c] + pad : pad + cells[c]);
        }
        return l.toString().stripTrailing();
    }

    /** The Markdown page: the machine, the table, what the columns mean, and the targets. */
    static String markdown(List<String> machine, List<RowResult> rows, boolean wrk, String targets) {
        return markdown(machine, rows, wrk, targets, List.of());
    }

    /** As above, with {@code notes} (one paragraph each) under the table. */
    static String markdown(List<String> machine, List<RowResult> rows, boolean wrk, String targets,
                           List<String> notes) {
        StringBuilder md = new StringBuilder("# make stress\n\n");
        for (String m : machine) md.append("- ").append(m).append('\n');
        md.append('\n');
        List<Integer> columns = columns(rows);
        md.append("| ").append(String.join(" | ", pick(HEADINGS, columns))).append(" |\n|");
        for (int c : columns) md.append(c < FIRST_FIGURE || c == NOTES ? "---|" : "--:|");
        md.append('\n');
        for (String[] c : shown(rows)) md.append("| ").append(String.join(" | ", c)).append(" |\n");
        md.append('\n');
        md.append("CPU %: the proxy process(es) over the measured seconds, 100 = one core. RSS: peak resident size (VmHWM).\n");
        if (wrk) {
            md.append("wrk opens its connections anew for the measured run: with thousands of them, the connect burst"
                    + " (SYNs dropped by full accept queues and sent again after 1 s) is inside the measured seconds.\n");
        }
        for (String n : notes) md.append('\n').append(n).append('\n');
        md.append("\n## Targets\n\n```\n").append(targets.isEmpty() ? "  (none measured)" : targets).append("\n```\n");
        return md.toString();
    }

    /** One line per row, every figure as measured; {@code loadTool} is "wrk" or "builtin". */
    static String csv(List<RowResult> rows, String loadTool) {
        return csv(rows, loadTool, loadTool);
    }

    /** As above; a bulk row (its scenario "bulk ...") names {@code bulkTool}, "iperf3" or "builtin". */
    static String csv(List<RowResult> rows, String loadTool, String bulkTool) {
        StringBuilder csv = new StringBuilder(CSV_HEADER).append('\n');
        for (RowResult r : rows) {
            String tool = r.scenario().startsWith(StressSettings.Scenario.BULK_LABEL) ? bulkTool : loadTool;
            csv.append(String.join(",", quote(r.scenario()), quote(r.row()), tool, r.rps(), r.p50(), r.p99(),
                    r.errors(), r.connectErrors(), r.cpu(), r.rss(), r.syscallsPerRequest(), r.cpuMicrosPerRequest(),
                    r.gbps(), quote(r.notes()))).append('\n');
        }
        return csv.toString();
    }

    /** RFC 4180: a field with a comma or a quote is quoted, its quotes doubled. */
    static String quote(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /**
     * What the terminal shows at the end, and summary.txt keeps: when and where it
     * ran, the table, the targets, what our balancer logged under load, and where
     * the files are.
     */
    static String summary(String heading, String table, String targets, List<String> logged, String out,
                          long rowsSeconds) {
        StringBuilder s = new StringBuilder("\n").append(heading).append("\n\n").append(table);
        if (!targets.isEmpty()) s.append("\nTargets (ratios of rows measured in this run):\n").append(targets).append('\n');
        if (!logged.isEmpty()) {
            s.append("\nThe balancer logged under load (count, message; full logs in ").append(out).append("/logs/):\n");
            logged.forEach(l -> s.append("  ").append(l).append('\n'));
        }
        s.append("\n  written: ").append(out).append("/stress.md, ").append(out)
                .append("/stress.csv (logs and configs beside); rows took ").append(Numbers.minutesSeconds(rowsSeconds))
                .append('\n');
        return s.toString();
    }

    /**
     * The balancer's unusual log lines over all its rows, the most frequent first
     * (eight at most), each as "count message" cut to 150 characters; the running
     * count in "(N refused so far)" is dropped so that repeats of a message add up.
     */
    static List<String> mostLogged(List<String> lines) {
        Map<String, Integer> counts = new TreeMap<>();
        for (String l : lines) counts.merge(l.replaceAll(" \\([0-9]* refused so far\\)", ""), 1, Integer::sum);
        return counts.entrySet().stream()
                .sorted(Comparator.comparing((Map.Entry<String, Integer> e) -> e.getValue())
                        .thenComparing(Map.Entry::getKey).reversed())
                .limit(8)
                .map(e -> String.format("%7d %s", e.getValue(), e.getKey()))
                .map(l -> l.length() > 150 ? l.substring(0, 150) : l)
                .toList();
    }
}
