package hpio.measure;

/**
 * One row of the table as measured, each figure written once, as the CSV keeps
 * it: requests/s whole, p50 and p99 in ms with three decimals, CPU in % of one
 * core, peak RSS in MB with one decimal. "-" marks what was not measured (a
 * skipped row, the direct row's CPU); notes say why, or "-".
 */
record RowResult(String scenario, String row, String rps, String p50, String p99, String errors,
                 String cpu, String rss, String notes) {

    static final String NONE = "-";

    /** A row that was not measured, and why. */
    static RowResult skipped(String scenario, String row, String why) {
        return new RowResult(scenario, row, NONE, NONE, NONE, NONE, NONE, NONE, why);
    }

    /** The cells in table order. */
    String[] cells() {
        return new String[] {scenario, row, rps, p50, p99, errors, cpu, rss, notes};
    }
}
