package hpio.exercises.ex6;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import hpio.exercises.FakeTimers;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Exercise 6, unit: {@link GracefulShutdown} with a balancer kept by the test
 * ({@link FakeDrain}), a clock the test moves ({@link FakeTimers}), and signals
 * delivered as the JDK delivers them: {@code onSignal} on a thread of its own.
 * This thread plays the loop's.
 */
@Timeout(30)
class GracefulShutdownTest {
    private final FakeTimers timers = new FakeTimers();
    private final FakeDrain drain = new FakeDrain(timers);
    private final AtomicInteger wakes = new AtomicInteger();
    private final List<Integer> halts = new CopyOnWriteArrayList<>();

    private GracefulShutdown control(long drainTimeoutSeconds) {
        return new GracefulShutdown(SECONDS.toNanos(drainTimeoutSeconds), wakes::incrementAndGet, halts::add);
    }

    /** Runs onSignal("TERM") as the JDK does: on a new thread named "SIGTERM handler"; returns what it threw. */
    private static Throwable signal(GracefulShutdown control) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread handler = Thread.ofPlatform().name("SIGTERM handler").start(() -> {
            try {
                control.onSignal("TERM");
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        handler.join(10_000);
        assertThat(handler.isAlive()).as("the signal handler has not returned after 10 s: it must not wait for"
                + " the loop (which may be asleep, or waiting for this very handler)").isFalse();
        return thrown.get();
    }

    private void assertNothingOffTheLoop() {
        assertThat(drain.offLoop).as("the signal handler touched the loop: %s", drain.offLoop).isEmpty();
    }

    @Test
    void theSignalHandlerOnlyRecordsTheSignalAndWakesTheLoop() throws Exception {
        GracefulShutdown control = control(30);
        drain.active = 1;
        for (int i = 0; i < 3; i++) control.onTurn(drain);            // turns of the loop before any signal
        assertThat(drain.actions()).as("onTurn acted before any signal came").isEmpty();
        Throwable thrown = signal(control);
        assertNothingOffTheLoop();
        assertThat(thrown).as("the signal handler threw").isNull();
        assertThat(halts).as("the first signal ended the process: it starts a drain").isEmpty();
        assertThat(wakes.get()).as("the signal handler did not wake the loop: it may sleep in its wait (until a"
                + " timer or an fd needs it, maybe for minutes) before it notices the signal").isEqualTo(1);
        assertThat(drain.actions()).as("the drain began before the loop's next turn").isEmpty();
        control.onTurn(drain);                                         // the turn the wake-up gave
        assertThat(drain.listening).as("the listener is still open on the loop's turn after the signal: new"
                + " clients keep coming").isFalse();
    }

    @Test
    void acceptsTheQueueThenClosesTheListener() throws Exception {
        GracefulShutdown control = control(30);
        drain.queued = 3;                                              // handshakes done, not accepted yet
        control.onTurn(drain);
        assertThat(signal(control)).as("the signal handler threw").isNull();
        assertNothingOffTheLoop();
        control.onTurn(drain);
        assertThat(drain.reset).as("closeListener() reset %d client(s) waiting in the accept queue: closing a"
                + " listener resets the clients still in its accept queue (ECONNRESET); accept them first, then"
                + " close it", drain.reset).isZero();
        assertThat(drain.actions()).as("the drain's first turn: accept the queue, then close the listener")
                .containsSubsequence("acceptPending()", "closeListener()");
        assertThat(drain.exitReason).as("exited with the 3 clients just accepted from the queue in flight: count"
                + " the connections after accepting the queue").isNull();
        drain.active = 0;                                              // they are served and leave
        control.onTurn(drain);
        assertThat(drain.exitReason).as("no connection left and the drain went on: exit when the last one ends")
                .isNotNull();
    }

    @Test
    void exitsWhenTheLastConnectionEnds() throws Exception {
        GracefulShutdown control = control(30);
        drain.active = 2;
        assertThat(signal(control)).as("the signal handler threw").isNull();
        control.onTurn(drain);
        assertThat(drain.exitReason).as("exited with 2 connections in flight: a drain lets them finish").isNull();
        drain.active = 1;
        timers.advance(1, SECONDS);
        control.onTurn(drain);
        assertThat(drain.exitReason).as("exited with 1 connection in flight, long before the deadline").isNull();
        drain.active = 0;
        timers.advance(1, SECONDS);
        control.onTurn(drain);
        assertThat(drain.exitReason).as("no connection left and the drain went on: exit when the last one ends")
                .isNotNull();
        assertThat(drain.exitReason).as("the reason given for a drain that finished")
                .doesNotContain("drain timeout");
        assertNothingOffTheLoop();
    }

    @Test
    void aDrainWithNothingInFlightExitsOnTheNextTurn() throws Exception {
        GracefulShutdown control = control(30);
        assertThat(signal(control)).as("the signal handler threw").isNull();
        control.onTurn(drain);
        assertThat(drain.exitReason).as("no connection in flight and none queued, and the drain went on")
                .isNotNull();
    }

    @Test
    void theDeadlineEndsTheDrainWithTheCount() throws Exception {
        GracefulShutdown control = control(5);
        drain.active = 1;                                              // a connection that never finishes
        assertThat(signal(control)).as("the signal handler threw").isNull();
        control.onTurn(drain);
        assertThat(timers.armedCount()).as("no timer armed once the drain began: with its connections quiet,"
                + " nothing wakes the loop again, so the deadline is never noticed").isPositive();
        timers.advance(SECONDS.toNanos(5) - MILLISECONDS.toNanos(1));
        control.onTurn(drain);
        assertThat(drain.exitReason).as("exited 4.999 s into a 5 s drain, with a connection in flight").isNull();
        timers.advance(1, MILLISECONDS);                               // the loop runs what fell due...
        control.onTurn(drain);                                         // ... then calls onTurn
        assertThat(drain.exitReason).as("the drain timeout (5 s) passed with 1 connection left and the drain went"
                + " on").isNotNull();
        assertThat(drain.exitReason).as("the reason exit() gives (the balancer prints it)")
                .contains("drain timeout: closing 1 connection(s)");
        assertNothingOffTheLoop();
    }

    @Test
    void aSecondSignalEndsTheProcessAtOnce() throws Exception {
        GracefulShutdown control = control(30);
        drain.active = 1;
        assertThat(signal(control)).as("the signal handler threw").isNull();
        control.onTurn(drain);
        assertThat(halts).as("the first signal ended the process: it starts a drain").isEmpty();
        assertThat(signal(control)).as("the second signal's handler threw").isNull();
        assertThat(halts).as("the second signal did not end the process (halt): it is the operator insisting")
                .hasSize(1);
        assertThat(halts.getFirst()).as("exit status after a second signal (0 would say all went well)")
                .isNotZero();
        assertNothingOffTheLoop();
    }
}
