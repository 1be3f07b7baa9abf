package hpio.measure;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.measure.LoadOutput.Measured;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * The load tools' outputs, as recorded on this project's machine (wrk 4.1.0 and
 * the built-in generator against the demo backend, and against a Python server
 * that answers slowly, resets, answers 500 or too late). The expected figures are
 * what the shell harness's awk made of the same files.
 */
class LoadOutputTest {

    private static String sample(String name) throws IOException {
        try (InputStream in = LoadOutputTest.class.getResourceAsStream(name + ".txt")) {
            assertThat(in).as("sample " + name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Measured wrk(String name) throws IOException {
        return LoadOutput.parse(LoadTool.WRK, sample(name)).orElseThrow();
    }

    private static Measured builtin(String name) throws IOException {
        return LoadOutput.parse(LoadTool.BUILTIN, sample(name)).orElseThrow();
    }

    @Test
    void wrkKeepAlive() throws IOException {
        Measured m = wrk("wrk-keepalive-100");      // Requests/sec:  61466.74; 50% 1.17ms; 99% 6.93ms
        assertThat(m.requestsPerSecond()).isEqualTo(61467);
        assertThat(m.p50()).isEqualTo("1.170");
        assertThat(m.p99()).isEqualTo("6.930");
        assertThat(m.errors()).isZero();
        assertThat(m.errorDetail()).isEmpty();
    }

    @Test
    void wrkWithConnectionClose() throws IOException {
        Measured m = wrk("wrk-close-50");
        assertThat(m.requestsPerSecond()).isEqualTo(9850);
        assertThat(m.p50()).isEqualTo("1.990");
        assertThat(m.p99()).isEqualTo("9.980");
    }

    @Test
    void wrkLatencyInMicroseconds() throws IOException {
        Measured m = wrk("wrk-keepalive-2-us");     // 50% 30.00us, 99% 331.00us
        assertThat(m.requestsPerSecond()).isEqualTo(60393);
        assertThat(m.p50()).isEqualTo("0.030");
        assertThat(m.p99()).isEqualTo("0.331");
    }

    @Test
    void wrkSocketErrorsTimeoutsStatusAndSeconds() throws IOException {
        // 50% 305.87ms, 99% 1.21s; Socket errors: read 36, timeout 17; 34 non-2xx responses.
        Measured m = wrk("wrk-errors-seconds");
        assertThat(m.requestsPerSecond()).isEqualTo(45);
        assertThat(m.p50()).isEqualTo("305.870");
        assertThat(m.p99()).isEqualTo("1210.000");
        assertThat(m.errors()).isEqualTo(36 + 17 + 34);
        assertThat(m.errorDetail()).isEqualTo("read:36, timeout:17, status:34");
    }

    @Test
    void wrkAt9980ConnectionsWithTwoThreads() throws IOException {
        // "77358 requests in 10.20s"; "Socket errors: connect 0, read 0, write 0, timeout 3504"
        Measured m = wrk("wrk-max-9980");
        assertThat(m.requests()).isEqualTo(77358);
        assertThat(m.requestsPerSecond()).isEqualTo(7584);
        assertThat(m.requestErrors()).isEqualTo(3504);
        assertThat(m.connectErrors()).isZero();
        assertThat(wrk("wrk-keepalive-100").requests()).isEqualTo(190555);
    }

    @Test
    void wrkThatCouldNotConnectHasNoResult() throws IOException {
        assertThat(LoadOutput.parse(LoadTool.WRK, sample("wrk-refused"))).isEmpty();
        assertThat(LoadOutput.parse(LoadTool.WRK, "")).isEmpty();
    }

    @Test
    void wrkUnits() {
        assertThat(LoadOutput.wrkMillis("331.00us")).isEqualTo(0.331, Offset.offset(1e-12));
        assertThat(LoadOutput.wrkMillis("6.93ms")).isEqualTo(6.93);
        assertThat(LoadOutput.wrkMillis("1.21s")).isEqualTo(1210.0);
        assertThat(LoadOutput.wrkMillis("1.50m")).isEqualTo(90_000.0);
    }

    @Test
    void builtinKeepAliveAndClose() throws IOException {
        Measured m = builtin("builtin-keepalive-100");    // rps=72536.8 p50_us=1206 p99_us=4431
        assertThat(m.requestsPerSecond()).isEqualTo(72537);
        assertThat(m.p50()).isEqualTo("1.206");
        assertThat(m.p99()).isEqualTo("4.431");
        assertThat(m.errors()).isZero();
        Measured c = builtin("builtin-close-50");
        assertThat(c.requestsPerSecond()).isEqualTo(12418);
        assertThat(c.p99()).isEqualTo("4.947");
    }

    @Test
    void builtinErrorsAndSeconds() throws IOException {
        Measured m = builtin("builtin-errors");
        assertThat(m.requestsPerSecond()).isEqualTo(51);
        assertThat(m.p50()).isEqualTo("1201.151");
        assertThat(m.p99()).isEqualTo("1208.319");
        assertThat(m.errors()).isEqualTo(91);
        assertThat(m.requests()).isEqualTo(253);
        assertThat(m.requestErrors()).isEqualTo(91);
        assertThat(m.errorDetail()).isEqualTo("read:31, timeout:30, status:30");
    }

    @Test
    void builtinThatCouldNotConnectStillReports() throws IOException {
        Measured m = builtin("builtin-refused");
        assertThat(m.requestsPerSecond()).isZero();
        assertThat(m.errors()).isEqualTo(14430);
        assertThat(m.errorDetail()).isEqualTo("connect:14430");
        // Connects that failed are the load tool's, apart from the requests' errors.
        assertThat(m.connectErrors()).isEqualTo(14430);
        assertThat(m.requestErrors()).isZero();
    }

    @Test
    void builtinWithoutAResultLine() throws IOException {
        String cut = sample("builtin-keepalive-100").lines().filter(l -> !l.startsWith("RESULT")).reduce("", (a, b) -> a + b + "\n");
        assertThat(LoadOutput.parse(LoadTool.BUILTIN, cut)).isEqualTo(Optional.empty());
    }
}
