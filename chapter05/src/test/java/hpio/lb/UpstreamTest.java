package hpio.lb;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Passive health on the System.nanoTime() scale, which may start anywhere: 0 and negatives included. */
class UpstreamTest {
    @ParameterizedTest
    @ValueSource(longs = {0, -5_000_000_000L, Long.MIN_VALUE + 1, Long.MAX_VALUE - 1, 123_456_789})
    void upUntilMarkedThenDownForTheFailTimeoutWhateverTheClockReads(long now) {
        Upstream u = new Upstream(0, "127.0.0.1", 9001, 1);
        assertThat(u.isUp(now)).as("a new backend is up").isTrue();
        assertThat(u.markDown(now, 10)).as("it was up").isTrue();
        assertThat(u.isUp(now)).isFalse();
        assertThat(u.isUp(now + 9)).isFalse();
        assertThat(u.isUp(now + 10)).as("back after the fail timeout, across a wrap of the clock too").isTrue();
        assertThat(u.failures()).isEqualTo(1);
    }
}
