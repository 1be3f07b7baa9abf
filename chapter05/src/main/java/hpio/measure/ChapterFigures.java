package hpio.measure;

import java.util.List;

/**
 * The chapter's own table (seed chapter05.md, "Performance Comparison":
 * "10,000 concurrent connections, 60 seconds"), shown beside our 10k scenario
 * and labelled as the chapter's: its machine, its load tool and its units are
 * not said, and it gives one latency without saying which percentile, so its
 * figures sit in their own rows and never in a ratio with ours.
 */
final class ChapterFigures {
    private ChapterFigures() {}

    static final String SCENARIO = "the chapter's table (not measured here)";

    private static final String NOTE = "the chapter's figures: 10,000 conns, 60 s, its machine; latency ";

    /** select, epoll and kqueue as the chapter prints them: req/s, latency, CPU %, memory MB. */
    static List<RowResult> rows() {
        return List.of(row("select", "5000", "50 ms", "95", "50.0"),
                row("epoll", "100000", "0.5 ms", "30", "40.0"),
                row("kqueue", "95000", "0.6 ms", "32", "42.0"));
    }

    private static RowResult row(String backend, String rps, String latency, String cpu, String memory) {
        return new RowResult(SCENARIO, backend, rps, RowResult.NONE, RowResult.NONE, RowResult.NONE, cpu, memory,
                NOTE + latency + " (percentile not given)");
    }
}
