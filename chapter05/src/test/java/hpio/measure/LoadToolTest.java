package hpio.measure;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The load tool's command lines: one thread as the chapter measures, two and a long timeout for 10k. */
class LoadToolTest {

    @Test
    void upTo5000ConnectionsOneThreadAndTheToolsOwnTimeout() {
        assertThat(LoadTool.WRK.command(5, 0, 5000, false, 28080, "java", "x.jar"))
                .containsExactly("wrk", "-t1", "-c5000", "-d5s", "--latency", "http://127.0.0.1:28080/");
        assertThat(LoadTool.WRK.command(5, 0, 50, true, 28080, "java", "x.jar"))
                .containsExactly("wrk", "-t1", "-c50", "-d5s", "--latency", "-H", "Connection: close",
                        "http://127.0.0.1:28080/");
    }

    @Test
    void the10kScenarioGetsTwoThreadsAndThirtySeconds() {
        assertThat(LoadTool.WRK.command(3, 0, 9980, false, 28080, "java", "x.jar"))
                .containsExactly("wrk", "-t2", "-c9980", "-d3s", "--latency", "--timeout", "30s",
                        "http://127.0.0.1:28080/");
        assertThat(LoadTool.BUILTIN.command(3, 2, 9980, false, 28080, "java", "x.jar"))
                .containsSubsequence("-t", "2", "-c", "9980")
                .containsSubsequence("--timeout", "30000", "http://127.0.0.1:28080/");
    }
}
