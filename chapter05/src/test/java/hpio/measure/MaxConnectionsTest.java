package hpio.measure;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** SCENARIOS=10k's size from an open-files limit, and the reason it gives. */
class MaxConnectionsTest {

    @Test
    void thisMachinesHardLimitHolds9980ProxiedConnections() {
        MaxConnections m = MaxConnections.forLimit(20_000);
        assertThat(m.connections()).isEqualTo(9_980);
        assertThat(m.why()).startsWith("9,980 connections, not the chapter's 10,000: the open files limit is 20,000")
                .contains("(20,000 - 40) / 2 = 9,980").doesNotContain("pool");
    }

    @Test
    void aLimitWithRoomGivesTheChaptersTenThousand() {
        assertThat(MaxConnections.forLimit(20_040)).isEqualTo(new MaxConnections(10_000,
                "10,000 connections, as the chapter: the open files limit (20,040) holds a proxy's 2 x 10,000 + 40"));
        assertThat(MaxConnections.forLimit(1_048_576).connections()).isEqualTo(10_000);
        assertThat(MaxConnections.forLimit(20_039).connections()).isEqualTo(9_999);
    }

    @Test
    void aSmallLimitGivesWhatFits() {
        assertThat(MaxConnections.forLimit(1024).connections()).isEqualTo(492);
        assertThat(MaxConnections.forLimit(10).connections()).isEqualTo(1);
    }

    @Test
    void everyProxyRowOfTheSizedScenarioRunsUnderThatLimit() {
        int n = MaxConnections.forLimit(20_000).connections();
        Peers none = Peers.find(false);
        for (String row : new String[] {"direct", "poll", "epoll", "nio"}) {
            assertThat(StressRunner.skipReason(n, row, none, 20_000)).as(row).isEmpty();
        }
        assertThat(StressRunner.skipReason(n + 1, "epoll", none, 20_000)).isPresent();
        // HAProxy's maxconn and nginx's worker_connections are sized the same way.
        PeerConfigs c = new PeerConfigs(1, 2, 3, 20_000, java.nio.file.Path.of("/r"));
        assertThat(c.maxConnections()).isEqualTo(n);
        assertThat(c.haproxy()).contains("maxconn 9980");
        assertThat(c.nginxStream(java.util.Optional.empty())).contains("worker_connections 19980;");
    }
}
