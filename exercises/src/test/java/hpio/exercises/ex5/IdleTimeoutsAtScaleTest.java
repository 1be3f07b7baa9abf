package hpio.exercises.ex5;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import hpio.exercises.FakeTimers;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Exercise 5, level 3: 100,000 connections. With one timer per connection, a
 * timer's run looks at its own connection only, and the whole run stays linear.
 * Any structure that scans every connection when one timer runs is caught by
 * counting the reads of {@code lastTraffic()}, and a run longer than 10 s fails too.
 */
class IdleTimeoutsAtScaleTest {
    private static final int N = 100_000;

    @Test
    void aHundredThousandConnectionsCostATimerRunOrTwoEach() {
        long start = System.nanoTime();
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            FakeTimers timers = new FakeTimers();
            IdleTimeouts policy = new IdleTimeouts(SECONDS.toNanos(60));
            policy.attach(timers);
            int[] reads = new int[1];
            FakeConnection[] cs = new FakeConnection[N];
            for (int i = 0; i < N; i++) {                  // 100 open every 10 ms: 10 s of arrivals
                cs[i] = new FakeConnection(policy, reads, 4 * N).open();
                if (i % 100 == 99) timers.advance(10, MILLISECONDS);
            }
            timers.advance(30, SECONDS);                   // 40 s: no timer due yet
            for (int i = 0; i < N; i += 2) cs[i].moveBytes();   // half of them move bytes
            timers.advance(30, SECONDS);                   // 70 s: every timer has run once
            int closed = 0;
            for (FakeConnection c : cs) closed += c.idleClosed;
            assertThat(closed).as("closed at 70 s: the %d connections idle since they opened", N / 2)
                    .isEqualTo(N / 2);
            timers.advance(30, SECONDS);                   // 100 s: the others have been idle for 60 s
            closed = 0;
            for (FakeConnection c : cs) closed += c.idleClosed;
            assertThat(closed).as("closed at 100 s: all of them").isEqualTo(N);
            assertThat(timers.runs).as("timer runs for %d connections over one timeout: one each, two for those"
                    + " with traffic", N).isLessThanOrEqualTo(2L * N);
        }, () -> "100,000 connections took more than 10 s: O(n) work per event (a scan of every connection,"
                + " a remove from a list) makes the whole run O(n^2)");
        System.out.printf("IdleTimeoutsAtScaleTest: %,d connections in %d ms%n", N, (System.nanoTime() - start) / 1_000_000);
    }
}
