package hpio.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

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
}
