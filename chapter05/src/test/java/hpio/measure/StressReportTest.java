package hpio.measure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The table, Markdown and CSV from fixed rows. The expected texts are what the
 * shell harness's awk printed for the same rows: the Java port keeps the shape.
 */
class StressReportTest {

    static final List<RowResult> ROWS = List.of(
            new RowResult("keep-alive, 100 conns", "direct (no balancer)", "136643", "0.380", "2.500", "0", "-", "-", "backend A only"),
            new RowResult("keep-alive, 100 conns", "select", "52901", "1.500", "8.050", "0", "62", "57.1", "-"),
            new RowResult("keep-alive, 100 conns", "epoll", "68842", "1.375", "3.315", "0", "79", "58.9", "-"),
            new RowResult("keep-alive, 100 conns", "HAProxy 2.6.12", "51768", "1.430", "47.520", "0", "63", "15.3", "-"),
            RowResult.skipped("keep-alive, 5,000 conns", "select", "n/a (FD_SETSIZE)"),
            new RowResult("keep-alive, 5,000 conns", "epoll", "41427", "105.900", "727.600", "1071", "81", "59.8",
                    "timeout:1071; listen queue overflowed 88x"),
            new RowResult("keep-alive, 5,000 conns", "nginx 1.22.1 stream", "41677", "49.100", "98.900", "0", "87", "76.9",
                    "say \"hi\""));

    @Test
    void textTable() {
        assertThat(StressReport.text(ROWS, true)).isEqualTo(TABLE);
    }

    @Test
    void withoutWrkNoConnectBurstNote() {
        assertThat(StressReport.text(ROWS, false)).doesNotContain("wrk").endsWith("VmHWM)\n");
    }

    @Test
    void markdown() {
        assertThat(StressReport.markdown(List.of("date: X", "machine: Y"), ROWS, true, "  a target line"))
                .isEqualTo(MARKDOWN + "\n## Targets\n\n```\n  a target line\n```\n");
        assertThat(StressReport.markdown(List.of(), ROWS, false, "")).endsWith("```\n  (none measured)\n```\n");
    }

    @Test
    void csvKeepsEveryFigureAsMeasured() {
        assertThat(StressReport.csv(ROWS, "wrk")).isEqualTo(CSV);
    }

    /** Rows with the kernel's work and a bulk row: their columns appear, each only where some row has a figure. */
    static final List<RowResult> NEW_COLUMNS = List.of(
            new RowResult("max: keep-alive, 9,980 conns", "epoll", "7584", "341.740", "1350.000", "3504", "12", "39",
                    "59.4", "6.1", "53.9", "-", "timeout:3504"),
            new RowResult("bulk, 1 flow", "epoll", "-", "-", "-", "-", "-", "54", "57.6", "-", "-", "7.83",
                    "per MiB: 48.8 syscalls, 587 µs CPU"));

    @Test
    void kernelWorkAndBulkColumnsShowWhenMeasured() {
        assertThat(StressReport.text(NEW_COLUMNS, true, List.of("a note under the table"))).isEqualTo("""
                  scenario                     | row   | req/s | p50 ms | p99 ms | errors | connect err | CPU % | peak RSS MB | syscalls/req | CPU µs/req | Gb/s | notes
                  -----------------------------+-------+-------+--------+--------+--------+-------------+-------+-------------+--------------+------------+------+-----------------------------------
                  max: keep-alive, 9,980 conns | epoll | 7,584 |  341.7 | 1350.0 |   3504 |          12 |    39 |        59.4 |          6.1 |       53.9 |    - | timeout:3504
                  -----------------------------+-------+-------+--------+--------+--------+-------------+-------+-------------+--------------+------------+------+-----------------------------------
                  bulk, 1 flow                 | epoll |     - |      - |      - |      - |           - |    54 |        57.6 |            - |          - | 7.83 | per MiB: 48.8 syscalls, 587 µs CPU
                  (CPU %: the proxy process(es) over the measured seconds, 100 = one core; RSS: its peak resident size, VmHWM)
                  (wrk opens its connections anew for the measured run: with thousands, the connect burst is in it)
                  (a note under the table)
                """);
        assertThat(StressReport.markdown(List.of(), NEW_COLUMNS, false, "", List.of("A note.")))
                .contains("| scenario | row | req/s | p50 ms | p99 ms | errors | connect err | CPU % | peak RSS MB"
                        + " | syscalls/req | CPU µs/req | Gb/s | notes |\n|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
                .contains("\nA note.\n");
        assertThat(StressReport.csv(NEW_COLUMNS, "wrk", "iperf3")).endsWith(
                "\"max: keep-alive, 9,980 conns\",epoll,wrk,7584,341.740,1350.000,3504,12,39,59.4,6.1,53.9,-,timeout:3504\n"
                + "\"bulk, 1 flow\",epoll,iperf3,-,-,-,-,-,54,57.6,-,-,7.83,\"per MiB: 48.8 syscalls, 587 µs CPU\"\n");
    }

    @Test
    void numbersRoundAsPrintfDoes() {
        assertThat(Numbers.fixed(1.375, 2)).isEqualTo("1.38");      // exact in binary: half to even
        assertThat(Numbers.fixed(0.125, 2)).isEqualTo("0.12");
        assertThat(Numbers.fixed(3.315, 2)).isEqualTo("3.31");      // 3.31499999... in binary
        assertThat(Numbers.fixed(61466.5, 0)).isEqualTo("61466");
        assertThat(Numbers.fixed(-0.0001, 1)).isEqualTo("0.0");
        assertThat(Numbers.millis(9.996)).isEqualTo("10.00");
        assertThat(Numbers.millis(10.04)).isEqualTo("10.0");
        assertThat(Numbers.group("1234567")).isEqualTo("1,234,567");
        assertThat(Numbers.group("999")).isEqualTo("999");
        assertThat(Numbers.group("-")).isEqualTo("-");
        assertThat(Numbers.minutesSeconds(187)).isEqualTo("3m07s");
    }

    @Test
    void summaryNamesWhatTheBalancerLogged() {
        List<String> top = StressReport.mostLogged(List.of(
                "high_perf_lb: pool full (496 in use): refusing clients; raise --max-conns (3 refused so far)",
                "high_perf_lb: pool full (496 in use): refusing clients; raise --max-conns (9 refused so far)",
                "high_perf_lb: upstream 127.0.0.1:28082 down"));
        assertThat(top).containsExactly(
                "      2 high_perf_lb: pool full (496 in use): refusing clients; raise --max-conns",
                "      1 high_perf_lb: upstream 127.0.0.1:28082 down");
        String s = StressReport.summary("make stress: now", "  table\n", "  target", top, "results/stress-x", 75);
        assertThat(s).isEqualTo("""

                make stress: now

                  table

                Targets (ratios of rows measured in this run):
                  target

                The balancer logged under load (count, message; full logs in results/stress-x/logs/):
                        2 high_perf_lb: pool full (496 in use): refusing clients; raise --max-conns
                        1 high_perf_lb: upstream 127.0.0.1:28082 down

                  written: results/stress-x/stress.md, results/stress-x/stress.csv (logs and configs beside); rows took 1m15s
                """);
    }

    static final String TABLE = """
              scenario                | row                  |   req/s | p50 ms | p99 ms | errors | CPU % | peak RSS MB | notes
              ------------------------+----------------------+---------+--------+--------+--------+-------+-------------+------------------------------------------
              keep-alive, 100 conns   | direct (no balancer) | 136,643 |   0.38 |   2.50 |      0 |     - |           - | backend A only
                                      | select               |  52,901 |   1.50 |   8.05 |      0 |    62 |        57.1 | -
                                      | epoll                |  68,842 |   1.38 |   3.31 |      0 |    79 |        58.9 | -
                                      | HAProxy 2.6.12       |  51,768 |   1.43 |   47.5 |      0 |    63 |        15.3 | -
              ------------------------+----------------------+---------+--------+--------+--------+-------+-------------+------------------------------------------
              keep-alive, 5,000 conns | select               |       - |      - |      - |      - |     - |           - | n/a (FD_SETSIZE)
                                      | epoll                |  41,427 |  105.9 |  727.6 |   1071 |    81 |        59.8 | timeout:1071; listen queue overflowed 88x
                                      | nginx 1.22.1 stream  |  41,677 |   49.1 |   98.9 |      0 |    87 |        76.9 | say "hi"
              (CPU %: the proxy process(es) over the measured seconds, 100 = one core; RSS: its peak resident size, VmHWM)
              (wrk opens its connections anew for the measured run: with thousands, the connect burst is in it)
            """;

    static final String MARKDOWN = """
            # make stress

            - date: X
            - machine: Y

            | scenario | row | req/s | p50 ms | p99 ms | errors | CPU % | peak RSS MB | notes |
            |---|---|--:|--:|--:|--:|--:|--:|---|
            | keep-alive, 100 conns | direct (no balancer) | 136,643 | 0.38 | 2.50 | 0 | - | - | backend A only |
            |  | select | 52,901 | 1.50 | 8.05 | 0 | 62 | 57.1 | - |
            |  | epoll | 68,842 | 1.38 | 3.31 | 0 | 79 | 58.9 | - |
            |  | HAProxy 2.6.12 | 51,768 | 1.43 | 47.5 | 0 | 63 | 15.3 | - |
            | keep-alive, 5,000 conns | select | - | - | - | - | - | - | n/a (FD_SETSIZE) |
            |  | epoll | 41,427 | 105.9 | 727.6 | 1071 | 81 | 59.8 | timeout:1071; listen queue overflowed 88x |
            |  | nginx 1.22.1 stream | 41,677 | 49.1 | 98.9 | 0 | 87 | 76.9 | say "hi" |

            CPU %: the proxy process(es) over the measured seconds, 100 = one core. RSS: peak resident size (VmHWM).
            wrk opens its connections anew for the measured run: with thousands of them, the connect burst (SYNs dropped by full accept queues and sent again after 1 s) is inside the measured seconds.
            """;

    static final String CSV = """
            scenario,row,load_tool,requests_per_s,p50_ms,p99_ms,errors,connect_errors,cpu_percent,peak_rss_mb,syscalls_per_request,cpu_us_per_request,gbps,notes
            "keep-alive, 100 conns",direct (no balancer),wrk,136643,0.380,2.500,0,-,-,-,-,-,-,backend A only
            "keep-alive, 100 conns",select,wrk,52901,1.500,8.050,0,-,62,57.1,-,-,-,-
            "keep-alive, 100 conns",epoll,wrk,68842,1.375,3.315,0,-,79,58.9,-,-,-,-
            "keep-alive, 100 conns",HAProxy 2.6.12,wrk,51768,1.430,47.520,0,-,63,15.3,-,-,-,-
            "keep-alive, 5,000 conns",select,wrk,-,-,-,-,-,-,-,-,-,-,n/a (FD_SETSIZE)
            "keep-alive, 5,000 conns",epoll,wrk,41427,105.900,727.600,1071,-,81,59.8,-,-,-,timeout:1071; listen queue overflowed 88x
            "keep-alive, 5,000 conns",nginx 1.22.1 stream,wrk,41677,49.100,98.900,0,-,87,76.9,-,-,-,"say ""hi""\"
            """;
}
