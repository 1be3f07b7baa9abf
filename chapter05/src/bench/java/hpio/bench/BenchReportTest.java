package hpio.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report reads JMH's JSON shape and judges each ratio; no benchmark runs here. */
class BenchReportTest {
    private static String run(String benchmark, String params, double median, String extra) {
        return """
                {"benchmark": "hpio.bench.%s", "mode": "avgt", "params": {%s},
                 "primaryMetric": {"score": %s, "scoreError": "NaN", "scoreUnit": "ns/op",
                   "scorePercentiles": {"0.0": 1.0, "50.0": %s, "100.0": 1e9},
                   "rawData": [[1.0, 2.0, 3.0]]},
                 "secondaryMetrics": {%s}}
                """.formatted(benchmark, params, median * 2, median, extra);
    }

    private static String loop(String backend, int n, double ns) {
        return run("RunOnceBenchmark.runOnce", "\"backend\": \"" + backend + "\", \"idleFds\": \"" + n + "\"", ns, "");
    }

    @Test
    void readsMediansAndJudgesEveryTarget() {
        String json = "[" + String.join(",",
                run("SelectRunOnceBenchmark.runOnce", "\"backend\": \"select\", \"idleFds\": \"10\"", 100, ""),
                run("SelectRunOnceBenchmark.runOnce", "\"backend\": \"select\", \"idleFds\": \"900\"", 1000, ""),
                loop("poll", 10, 100), loop("poll", 1000, 5000),
                loop("epoll", 10, 500), loop("epoll", 10000, 510),
                loop("nio", 10, 700), loop("nio", 10000, 1500),
                run("EpollWaitFloorBenchmark.epollWait", "\"idleFds\": \"10\"", 450, ""),
                run("EpollWaitFloorBenchmark.epollWait", "\"idleFds\": \"1000\"", 400, ""),
                run("EpollWaitFloorBenchmark.epollWait", "\"idleFds\": \"10000\"", 200,
                        "\"gc.alloc.rate.norm\": {\"score\": 0.1, \"scoreUnit\": \"B/op\"}")) + "]";

        List<BenchReport.Result> results = BenchReport.parse(json);
        assertThat(results).hasSize(11);
        assertThat(results.get(0).column()).isEqualTo("select");
        assertThat(results.get(0).score()).isEqualTo(100.0);        // the median, not the mean
        assertThat(results.get(0).samples()).isEqualTo(3);
        assertThat(results.get(10).column()).isEqualTo(BenchReport.FLOOR);
        assertThat(results.get(10).allocPerOp()).isEqualTo(0.1);

        String report = BenchReport.render(results);
        assertThat(report)
                .containsPattern("select cost\\(N=900\\) / cost\\(N=10\\) +=  ?10x .*MISS")
                .containsPattern("poll cost\\(N=1,000\\) / cost\\(N=10\\) +=  ?50x .*PASS")
                .containsPattern("epoll cost\\(N=10,000\\) / cost\\(N=10\\) += 1.02x .*PASS")
                .containsPattern("nio cost\\(N=10,000\\) / cost\\(N=10\\) += 2.14x .*MISS")
                .containsPattern("bare epoll_wait, N=10 += 1.11x .*PASS")
                .containsPattern("bare epoll_wait, N=1,000 +not measured .*MISS")     // no epoll run at 1,000
                .containsPattern("bare epoll_wait, N=10,000 += 2.55x .*MISS")
                .contains("3 of 7 targets met")
                .contains("steady state: no allocation on the hot path");
    }

    @Test
    void drawsTheCostAgainstNOnLogScalesWithinEightyColumns() {
        String json = "[" + String.join(",",
                run("SelectRunOnceBenchmark.runOnce", "\"backend\": \"select\", \"idleFds\": \"10\"", 2_000, ""),
                run("SelectRunOnceBenchmark.runOnce", "\"backend\": \"select\", \"idleFds\": \"900\"", 150_000, ""),
                loop("poll", 10, 2_500), loop("poll", 100, 20_000), loop("poll", 1000, 170_000),
                loop("poll", 10000, 2_800_000),
                loop("epoll", 10, 550), loop("epoll", 100, 520), loop("epoll", 1000, 580), loop("epoll", 10000, 540),
                loop("nio", 10, 600), loop("nio", 10000, 610),
                run("EpollWaitFloorBenchmark.epollWait", "\"idleFds\": \"10000\"", 500, "")) + "]";

        String chart = BenchReport.chart(BenchReport.parse(json));
        List<String> lines = chart.lines().toList();

        assertThat(lines).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(80));
        assertThat(chart).contains("s = select", "p = poll", "e = epoll", "u = io_uring", "n = nio", "f = bare epoll_wait")
                .contains("900/1,000").contains("10,000").contains("1 ms").contains("100 ns");
        // One letter per measured point: 2 s, 4 p, 4 e, 2 n, 1 f.
        assertThat(points(lines, 's')).hasSize(2);
        assertThat(points(lines, 'p')).hasSize(4);
        assertThat(points(lines, 'e')).hasSize(4);
        assertThat(points(lines, 'n')).hasSize(2);
        assertThat(points(lines, 'f')).hasSize(1);
        // O(n) climbs: from left to right, each p is drawn higher (on an earlier line) than the one before,
        // poll at 10,000 more than 8 rows (2 decades at 4 rows each) above poll at 10. O(1) stays flat.
        List<int[]> polls = points(lines, 'p');
        for (int i = 1; i < polls.size(); i++) assertThat(polls.get(i)[0]).isLessThan(polls.get(i - 1)[0]);
        assertThat(polls.get(0)[0] - polls.get(3)[0]).isGreaterThan(8);
        List<int[]> epolls = points(lines, 'e');
        assertThat(epolls).extracting(p -> p[0]).containsOnly(epolls.get(0)[0]);
        // Each series keeps its own sub-column: at N=10,000 e, n and f stand in the order of the legend.
        String flat = lines.get(epolls.get(0)[0]);
        assertThat(flat.lastIndexOf('e')).isLessThan(flat.lastIndexOf('n'));
        assertThat(flat.lastIndexOf('n')).isLessThan(flat.lastIndexOf('f'));
    }

    /** The same medians as an SVG file beside the JSON: well-formed, a line per backend and the floor. */
    @Test
    void writesTheSvgChartWithALinePerBackend(@TempDir Path dir) throws Exception {
        String json = "[" + String.join(",",
                run("SelectRunOnceBenchmark.runOnce", "\"backend\": \"select\", \"idleFds\": \"900\"", 150_000, ""),
                run("SelectRunOnceBenchmark.runOnce", "\"backend\": \"select\", \"idleFds\": \"10\"", 2_000, ""),
                loop("poll", 10, 2_500), loop("poll", 10000, 2_800_000),
                loop("epoll", 10, 550), loop("epoll", 10000, 540),
                run("EpollWaitFloorBenchmark.epollWait", "\"idleFds\": \"10000\"", 500, "")) + "]";
        Path svg = dir.resolve("runonce.svg");
        BenchReport.svgChart(svg, BenchReport.parse(json));
        List<String> texts = hpio.measure.ChartsTest.texts(hpio.measure.ChartsTest.svg(svg));
        assertThat(texts).contains("select", "poll", "epoll", BenchReport.FLOOR_HEADING, "10", "10,000")
                .doesNotContain("nio");      // not measured: no empty legend entry
    }

    /** Where a series letter is drawn, as {line, column}, left to right (the y labels left of '|' skipped). */
    private static List<int[]> points(List<String> lines, char letter) {
        List<int[]> found = new java.util.ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int bar = line.indexOf('|');
            if (bar < 0) continue;
            for (int c = bar + 1; c < line.length(); c++) if (line.charAt(c) == letter) found.add(new int[] {i, c});
        }
        found.sort(java.util.Comparator.comparingInt(p -> p[1]));
        return found;
    }
}
