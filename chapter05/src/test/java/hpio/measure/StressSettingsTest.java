package hpio.measure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hpio.measure.StressSettings.BadSetting;
import hpio.measure.StressSettings.Scenario;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** make stress's settings: the defaults, and one clear line for each bad one. */
class StressSettingsTest {

    private static StressSettings parse(Map<String, String> env) {
        return StressSettings.parse(env, "Linux");
    }

    private static void rejects(String name, String value, String message) {
        assertThatThrownBy(() -> parse(Map.of(name, value))).isInstanceOf(BadSetting.class).hasMessage(message);
    }

    @Test
    void defaults() {
        StressSettings s = parse(Map.of());
        assertThat(s.durationSeconds()).isEqualTo(5);
        assertThat(s.warmupSeconds()).isEqualTo(2);
        assertThat(s.scenarios()).containsExactly(new Scenario(100, false), new Scenario(1000, false),
                new Scenario(5000, false), new Scenario(50, true), Scenario.BULK);
        assertThat(s.hasBulk()).isTrue();
        assertThat(s.bulkPort()).isEqualTo(28083);
        assertThat(s.load()).isEqualTo("auto");
        assertThat(s.peers()).isTrue();
        assertThat(s.backend()).isEqualTo("demo");
        assertThat(s.rows()).containsExactly("direct", "select", "poll", "epoll", "io_uring", "io_uring-completion",
                "nio", "epoll-et", "haproxy", "nginx");
        assertThat(s.proxyPort()).isEqualTo(28080);
        assertThat(s.portA()).isEqualTo(28081);
        assertThat(s.portB()).isEqualTo(28082);
    }

    @Test
    void anEmptyVariableCountsAsUnset() {
        assertThat(parse(Map.of("DURATION", "", "SCENARIOS", "")).durationSeconds()).isEqualTo(5);
    }

    @Test
    void readsEverySetting() {
        StressSettings s = parse(Map.of("DURATION", "3", "WARMUP", "0", "SCENARIOS", "100,close50", "LOAD", "builtin",
                "PEERS", "none", "BACKEND", "nginx", "ROWS", "nginx,epoll,direct", "STRESS_PORT", "30000",
                "JAVA_OPTS", "-Xmx1g", "THREADS", "2"));
        assertThat(s).isEqualTo(new StressSettings(3, 0, List.of(new Scenario(100, false), new Scenario(50, true)),
                "builtin", false, "nginx", List.of("direct", "epoll", "nginx"), 30000, "-Xmx1g", 2));
    }

    @Test
    void badSettingsSayWhatIsWrong() {
        rejects("DURATION", "0", "DURATION must be a whole number of seconds, not '0'");
        rejects("THREADS", "0", "THREADS must be from 1 to 1024 or auto, not '0'");
        rejects("THREADS", "two", "THREADS must be from 1 to 1024 or auto, not 'two'");
        rejects("DURATION", "2.5", "DURATION must be a whole number of seconds, not '2.5'");
        rejects("WARMUP", "-1", "WARMUP must be a whole number of seconds, not '-1'");
        rejects("STRESS_PORT", "80", "STRESS_PORT must be from 1024 to 65000, not '80'");
        rejects("STRESS_PORT", "65001", "STRESS_PORT must be from 1024 to 65000, not '65001'");
        rejects("STRESS_PORT", "http", "STRESS_PORT must be from 1024 to 65000, not 'http'");
        rejects("LOAD", "ab", "LOAD must be auto, wrk or builtin, not 'ab'");
        rejects("PEERS", "all", "PEERS must be auto or none, not 'all'");
        rejects("BACKEND", "haproxy", "BACKEND must be demo or nginx, not 'haproxy'");
        rejects("SCENARIOS", "100,clos5", "scenario 'clos5' is not N (keep-alive), closeN, 10k (or max) or bulk,"
                + " e.g. SCENARIOS=100,close50,10k");
        rejects("SCENARIOS", "0", "scenario '0' is not N (keep-alive), closeN, 10k (or max) or bulk,"
                + " e.g. SCENARIOS=100,close50,10k");
        rejects("SCENARIOS", "10K", "scenario '10K' is not N (keep-alive), closeN, 10k (or max) or bulk,"
                + " e.g. SCENARIOS=100,close50,10k");
        rejects("SCENARIOS", ",", "SCENARIOS is empty");
        rejects("ROWS", "kqueue", "ROWS='kqueue' names none of: direct select poll epoll io_uring io_uring-completion nio epoll-et"
                + " haproxy nginx");
    }

    @Test
    void rowsFollowTheOs() {
        assertThat(StressSettings.allRows("Darwin"))
                .containsExactly("direct", "select", "poll", "kqueue", "nio", "kqueue-et", "haproxy", "nginx");
        assertThat(StressSettings.allRows("SunOS")).containsExactly("direct", "nio", "haproxy", "nginx");
    }

    @Test
    void rowsKeepTableOrderAndAppearOnce() {
        assertThat(StressSettings.rows("nio,epoll,nio,typo", StressSettings.allRows("Linux")))
                .containsExactly("epoll", "nio");
    }

    @Test
    void namedScenarios() {
        assertThat(StressSettings.scenarios("10k,max,bulk,100")).containsExactly(Scenario.MAX, Scenario.MAX,
                Scenario.BULK, new Scenario(100, false));
        assertThat(Scenario.MAX.connections()).isEqualTo(10_000);
        assertThat(parse(Map.of("SCENARIOS", "100")).hasBulk()).isFalse();
        // The 10k scenario is named, not in the default set: see StressSettings.DEFAULT_SCENARIOS.
        assertThat(parse(Map.of()).scenarios()).noneMatch(s -> s.kind() == Scenario.Kind.MAX);
    }

    @Test
    void scenarioLabels() {
        assertThat(new Scenario(9980, false, Scenario.Kind.MAX).label()).isEqualTo("max: keep-alive, 9,980 conns");
        assertThat(new Scenario(9980, false, Scenario.Kind.MAX).tag()).isEqualTo("max9980");
        assertThat(Scenario.BULK.label()).isEqualTo("bulk, 1 flow");
        assertThat(Scenario.BULK.tag()).isEqualTo("bulk");
        assertThat(new Scenario(1000, false).label()).isEqualTo("keep-alive, 1,000 conns");
        assertThat(new Scenario(50, true).label()).isEqualTo("close, 50 conns");
        assertThat(new Scenario(5000, false).tag()).isEqualTo("keepalive5000");
        assertThat(new Scenario(50, true).tag()).isEqualTo("close50");
    }
}
