package hpio.measure;

/**
 * One row of the table as measured, each figure written once, as the CSV keeps
 * it: requests/s whole, p50 and p99 in ms with three decimals, CPU in % of one
 * core, peak RSS in MB with one decimal; the kernel's work per request (system
 * calls, and CPU microseconds, of the proxy process(es) over the measured
 * window divided by the requests in it); Gb/s for a bulk transfer. "-" marks
 * what was not measured (a skipped row, the direct row's CPU, req/s in a bulk
 * row); notes say why, or "-".
 *
 * <p>{@code errors} are request errors (read, write, timeout, status);
 * {@code connectErrors} the load tool's failed connects, kept apart: with
 * thousands of connections they are its connect burst against a full accept
 * queue, not requests the proxy lost.
 */
record RowResult(String scenario, String row, String rps, String p50, String p99, String errors,
                 String connectErrors, String cpu, String rss, String syscallsPerRequest,
                 String cpuMicrosPerRequest, String gbps, String notes) {

    static final String NONE = "-";

    /** A request row without the kernel's figures (as the table had before they were measured). */
    RowResult(String scenario, String row, String rps, String p50, String p99, String errors, String cpu,
              String rss, String notes) {
        this(scenario, row, rps, p50, p99, errors, NONE, cpu, rss, NONE, NONE, NONE, notes);
    }

    /** A row that was not measured, and why. */
    static RowResult skipped(String scenario, String row, String why) {
        return new RowResult(scenario, row, NONE, NONE, NONE, NONE, NONE, NONE, why);
    }

    /** The same row with the kernel's work per request: system calls and CPU microseconds. */
    RowResult withKernelWork(String syscalls, String cpuMicros) {
        return new RowResult(scenario, row, rps, p50, p99, errors, connectErrors, cpu, rss, syscalls, cpuMicros,
                gbps, notes);
    }

    /** The cells in table order (the same as {@link StressReport#HEADINGS}). */
    String[] cells() {
        return new String[] {scenario, row, rps, p50, p99, errors, connectErrors, cpu, rss, syscallsPerRequest,
                cpuMicrosPerRequest, gbps, notes};
    }
}
