package hpio.measure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The targets from fixed rows (the figures of docs/06-performance.md's run). The
 * expected lines are what the shell harness printed for the same rows, trailing
 * blanks included (the verdict column of a peer's line is empty).
 */
class StressTargetsTest {

    private static final List<RowResult> ROWS = List.of(
            new RowResult("keep-alive, 100 conns", "direct (no balancer)", "136643", "0.380", "2.500", "0", "-", "-", "backend A only"),
            new RowResult("keep-alive, 100 conns", "epoll", "68842", "1.375", "3.315", "0", "79", "58.9", "-"),
            new RowResult("keep-alive, 100 conns", "nio", "59074", "1.500", "27.600", "0", "74", "58.2", "-"),
            new RowResult("keep-alive, 100 conns", "HAProxy 2.6.12", "51768", "1.430", "47.520", "0", "63", "15.3", "-"),
            new RowResult("keep-alive, 1,000 conns", "epoll", "64674", "13.500", "34.800", "0", "85", "59.4", "-"),
            new RowResult("keep-alive, 1,000 conns", "nio", "61502", "14.900", "25.400", "0", "91", "61.3", "-"),
            new RowResult("keep-alive, 1,000 conns", "HAProxy 2.6.12", "64764", "14.400", "21.700", "0", "87", "18.4", "-"),
            new RowResult("keep-alive, 5,000 conns", "direct (no balancer)", "81699", "28.9", "65.2", "0", "-", "-", "backend A only"),
            RowResult.skipped("keep-alive, 5,000 conns", "select", "n/a (FD_SETSIZE)"),
            new RowResult("keep-alive, 5,000 conns", "poll", "37804", "107.6", "993.6", "0", "79", "60.3", "-"),
            new RowResult("keep-alive, 5,000 conns", "epoll", "41427", "105.9", "727.6", "0", "81", "59.8", "-"),
            new RowResult("keep-alive, 5,000 conns", "nio", "33592", "119.5", "1170.0", "0", "83", "71.6", "-"),
            new RowResult("keep-alive, 5,000 conns", "epoll ET+WB (solutions)", "36789", "109.9", "235.9", "0", "77", "60.0", "-"),
            new RowResult("keep-alive, 5,000 conns", "HAProxy 2.6.12", "45592", "48.1", "392.8", "712", "88", "31.3", "timeout:712"),
            new RowResult("close, 50 conns", "epoll", "13724", "2.84", "7.29", "0", "83", "59.3", "-"),
            new RowResult("close, 50 conns", "nio", "12512", "3.33", "6.95", "0", "91", "58.7", "-"));

    @Test
    void everyTargetFromOneRun() {
        assertThat(StressTargets.check(ROWS).split("\n")).containsExactly(
                "  epoll / HAProxy req/s, keep-alive, 100 conns             = 1.33x                >= 1.0x (stretch 1.1x)  PASS (stretch too)",
                "  epoll p99 against HAProxy p99, keep-alive, 100 conns     = 3.31 vs 47.5 ms      not higher              PASS",
                "  epoll / HAProxy req/s, keep-alive, 1,000 conns           = 1.00x                >= 1.0x (stretch 1.1x)  MISS",
                "  epoll p99 against HAProxy p99, keep-alive, 1,000 conns   = 34.8 vs 21.7 ms      not higher              MISS",
                "  nio / epoll req/s, keep-alive, 100 conns                 = 0.86x                >= 0.9x                 MISS",
                "  nio / epoll req/s, keep-alive, 1,000 conns               = 0.95x                >= 0.9x                 PASS",
                "  nio / epoll req/s, keep-alive, 5,000 conns               = 0.81x                >= 0.9x                 MISS",
                "  nio / epoll req/s, close, 50 conns                       = 0.91x                >= 0.9x                 PASS",
                "  peak RSS, 5,000 conns, poll                              = 60.3 MB              <= 64 MB                PASS",
                "  peak RSS, 5,000 conns, epoll                             = 59.8 MB              <= 64 MB                PASS",
                "  peak RSS, 5,000 conns, nio                               = 71.6 MB              <= 64 MB                MISS",
                "  peak RSS, 5,000 conns, epoll ET+WB (solutions)           = 60.0 MB              <= 64 MB                PASS",
                "  peak RSS, 5,000 conns, HAProxy 2.6.12                    = 31.3 MB              (a peer: for comparison) ");
    }

    @Test
    void withoutHaproxyTheRatioIsNotMeasured() {
        List<RowResult> rows = List.of(
                new RowResult("keep-alive, 100 conns", "epoll", "68842", "1.375", "3.315", "0", "79", "58.9", "-"),
                RowResult.skipped("keep-alive, 100 conns", "HAProxy", "not installed"));
        assertThat(StressTargets.check(rows)).isEqualTo(
                "  epoll / HAProxy req/s, keep-alive, 100 conns             not measured" + " ".repeat(35));
    }

    @Test
    void aRowThatMeasuredNothingDividesNothing() {
        List<RowResult> rows = List.of(
                new RowResult("keep-alive, 100 conns", "epoll", "0", "0.000", "0.000", "5", "1", "58.9", "-"),
                new RowResult("keep-alive, 100 conns", "nio", "100", "1.000", "1.000", "0", "1", "58.9", "-"),
                new RowResult("keep-alive, 100 conns", "HAProxy 2.6.12", "0", "0.000", "0.000", "9", "1", "15.0", "-"));
        assertThat(StressTargets.check(rows)).startsWith("  epoll / HAProxy req/s, keep-alive, 100 conns             not measured")
                .doesNotContain("nio / epoll");
    }

    @Test
    void noRowForAnyTarget() {
        assertThat(StressTargets.check(List.of(RowResult.skipped("close, 50 conns", "select", "n/a")))).isEmpty();
    }
}
