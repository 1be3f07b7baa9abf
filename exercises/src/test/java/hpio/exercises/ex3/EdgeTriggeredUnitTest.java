package hpio.exercises.ex3;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.lb.hooks.Acceptor;
import hpio.lb.hooks.Pump;
import hpio.loop.EventLoop;
import hpio.loop.EventLoops;
import hpio.loop.Events;
import hpio.loop.Timer;
import hpio.loop.Timers;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Exercise 3 with fakes: pumps that yield a script of results, an acceptor with
 * clients pending, and the timers of a real (idle) loop that the test turns by
 * hand. Every pump counts its calls and fails by name when called far too often,
 * so a loop that never ends fails at once instead of hanging.
 */
@Timeout(10)
class EdgeTriggeredUnitTest {
    private static final int CHUNK = 64 * 1024;
    private static final int BUDGET = EdgeTriggered.BUDGET;

    private EventLoop loop;
    private RecordingTimers timers;
    private EdgeTriggered policy;
    private final List<String> order = new ArrayList<>();    // which pump read when, across pumps

    @BeforeEach
    void setUp() throws IOException {
        loop = EventLoops.open("poll", 16, null);       // no fd registered: only its timers are used
        timers = new RecordingTimers(loop);
        policy = new EdgeTriggered();
        policy.attach(timers);
    }

    @AfterEach
    void tearDown() throws IOException {
        loop.close();
    }

    /** One turn of the loop: the timers due now run (a timer re-armed for "now" waits for the next turn). */
    private void nextPass() throws IOException {
        loop.runOnce(0);
    }

    @Test
    void registersEdgeTriggered() {
        assertThat(policy.registrationFlags())
                .as("registrationFlags() is added to every registration (READ and WRITE are the balancer's):"
                        + " without Events.EDGE the kernel stays level-triggered and repeats itself")
                .isEqualTo(Events.EDGE);
    }

    @Test
    void aSocketWithFiveChunksIsReadToAgain() throws IOException {
        ScriptedPump pump = new ScriptedPump("five", 5, Pump.AGAIN, "looped on AGAIN: the socket is empty until the next edge");
        policy.onReadable(pump);
        assertThat(pump.calls)
                .as("stopped after %s while the socket still had data: edge-triggered will not tell you again",
                        pump.calls == 1 ? "one read" : pump.calls + " reads")
                .isGreaterThanOrEqualTo(6);
        assertThat(pump.calls).as("kept reading after AGAIN: the socket is empty until the next edge").isEqualTo(6);
        nextPass();
        assertThat(pump.calls)
                .as("read a drained flow again from the ready list: only a flow cut short by the budget goes there")
                .isEqualTo(6);
    }

    @Test
    void eofEndsTheDrain() throws IOException {
        ScriptedPump pump = new ScriptedPump("eof", 2, Pump.EOF, "kept calling after EOF: a loop on `>= 0`?");
        policy.onReadable(pump);
        assertThat(pump.calls).as("stopped after %d read(s), before EOF: the rest of the stream is stranded", pump.calls)
                .isGreaterThanOrEqualTo(3);
        assertThat(pump.calls).as("kept calling after EOF: a loop on `>= 0`?").isEqualTo(3);
        nextPass();
        assertThat(pump.calls).as("kept calling after EOF (from the ready list): a finished flow has nothing more to read")
                .isEqualTo(3);
    }

    /** The first read moved bytes; stopping there is the classic edge-triggered mistake. */
    private static final String STOPPED_EARLY =
            "stopped after one read while the socket still had data: edge-triggered will not tell you again";

    @Test
    void pausedEndsTheDrain() throws IOException {
        String why = "the bytes cannot go anywhere until the destination drains; the balancer calls you again";
        ScriptedPump pump = new ScriptedPump("paused", 1, Pump.PAUSED, "looped on PAUSED: " + why);
        policy.onReadable(pump);
        assertThat(pump.calls).as(pump.calls < 2 ? STOPPED_EARLY : "looped on PAUSED: " + why).isEqualTo(2);
        nextPass();
        assertThat(pump.calls).as("served a PAUSED flow again from the ready list: " + why).isEqualTo(2);
    }

    @Test
    void closedEndsTheDrain() throws IOException {
        String looped = "looped on CLOSED: the connection is gone, nothing will ever move again";
        ScriptedPump pump = new ScriptedPump("closed", 1, Pump.CLOSED, looped);
        policy.onReadable(pump);
        assertThat(pump.calls).as(pump.calls < 2 ? STOPPED_EARLY : looped).isEqualTo(2);
        nextPass();
        assertThat(pump.calls).as("served a CLOSED flow again from the ready list: it is gone").isEqualTo(2);
    }

    @Test
    void aSourceThatNeverRunsDryStopsAtTheBudgetAndComesBack() throws IOException {
        ScriptedPump endless = new ScriptedPump("endless", Integer.MAX_VALUE, Pump.AGAIN, null);
        ScriptedPump other = new ScriptedPump("other", 3, Pump.AGAIN, "looped on AGAIN: the socket is empty until the next edge");

        policy.onReadable(endless);
        assertThat(endless.calls)
                .as("read %d times from a source that never runs dry: with no budget (EdgeTriggered.BUDGET reads)"
                        + " one fast sender holds the loop while every other connection waits", endless.calls)
                .isLessThanOrEqualTo(BUDGET);
        assertThat(endless.calls)
                .as("gave up after %d read(s) with the budget (%d) not spent and the socket still full:"
                        + " edge-triggered will not tell you again", endless.calls, BUDGET)
                .isEqualTo(BUDGET);
        assertThat(timers.zeroDelaySchedules)
                .as("spent the budget but armed no 0-delay timer for the ready list: the flow still has bytes,"
                        + " and the kernel will not announce them again")
                .isGreaterThanOrEqualTo(1);
        assertThat(timers.laterSchedules)
                .as("the ready list waits for a timer with a delay: it is to be served on the loop's next pass, not later")
                .isZero();

        policy.onReadable(other);                        // another flow's event, in the same batch
        assertThat(other.calls).as("the other flow was not read to AGAIN").isEqualTo(4);

        nextPass();
        assertThat(endless.calls)
                .as("the flow cut short by the budget was not served again on the next pass (the ready list's timer)")
                .isGreaterThan(BUDGET);
        assertThat(endless.calls)
                .as("served the ready list with %d reads: one budget per flow per pass", endless.calls - BUDGET)
                .isEqualTo(2 * BUDGET);
        assertThat(order.indexOf("other"))
                .as("the other flow waited behind the fast one: the ready list is served after the batch, not at once")
                .isEqualTo(BUDGET);

        nextPass();
        assertThat(endless.calls)
                .as("the flow still had bytes after its second budget but was not served on the pass after:"
                        + " it must go back on the ready list")
                .isEqualTo(3 * BUDGET);
    }

    @Test
    void twoFastFlowsTakeTurnsFromTheReadyList() throws IOException {
        ScriptedPump a = new ScriptedPump("a", Integer.MAX_VALUE, Pump.AGAIN, null);
        ScriptedPump b = new ScriptedPump("b", Integer.MAX_VALUE, Pump.AGAIN, null);
        policy.onReadable(a);
        policy.onReadable(b);
        for (int pass = 2; pass <= 4; pass++) {
            nextPass();
            assertThat(new int[] {a.calls, b.calls})
                    .as("after %d passes each flow must have had %d budgets: the ready list serves every flow on it,"
                            + " one budget each per pass", pass, pass)
                    .containsExactly(pass * BUDGET, pass * BUDGET);
        }
        policy.onReadable(a);                            // a new edge for a flow already on the ready list
        nextPass();
        assertThat(a.calls)
                .as("a flow on the ready list that had an event too was served twice in one pass from the list:"
                        + " keep it on the list once")
                .isLessThanOrEqualTo(6 * BUDGET);
    }

    @Test
    void aBurstOfPendingClientsIsAcceptedInFull() throws IOException {
        int pending = 2000;                              // more than the level-triggered baseline's budget (1,024 a wake-up)
        int[] calls = {0};
        Acceptor acceptor = () -> {
            calls[0]++;
            if (calls[0] > pending + 50) {
                throw new AssertionError("kept calling acceptOne() after it said none was pending: a loop on the wrong answer?");
            }
            return calls[0] <= pending;
        };
        policy.onAcceptable(acceptor);
        int accepted = Math.min(calls[0], pending);
        assertThat(accepted)
                .as("accepted %d of %d pending clients: one edge on the listener stands for all of them,"
                        + " and it is not reported again for those already queued", accepted, pending)
                .isEqualTo(pending);
        assertThat(calls[0]).as("kept calling acceptOne() after it said none was pending").isEqualTo(pending + 1);
    }

    /** A source socket scripted as: {@code chunks} reads of 64 KiB, then {@code end} for ever. */
    private final class ScriptedPump implements Pump {
        final String name;
        final int chunks;
        final int end;
        final String loopMessage;        // when called far too often: the likely loop
        int calls;

        ScriptedPump(String name, int chunks, int end, String loopMessage) {
            this.name = name;
            this.chunks = chunks;
            this.end = end;
            this.loopMessage = loopMessage;
        }

        @Override
        public int pumpOnce() {
            calls++;
            order.add(name);
            if (chunks == Integer.MAX_VALUE) {
                if (calls > 20 * BUDGET) {
                    throw new AssertionError("read " + calls + " times from a source that never runs dry:"
                            + " with no budget (EdgeTriggered.BUDGET reads) one fast sender holds the loop"
                            + " while every other connection waits");
                }
                return CHUNK;
            }
            if (calls <= chunks) return CHUNK;
            if (calls > chunks + 50) throw new AssertionError(loopMessage);
            return end;
        }
    }

    /** The loop's timers, with a record of how each was armed. */
    private static final class RecordingTimers implements Timers {
        final Timers loop;
        int zeroDelaySchedules;
        int laterSchedules;

        RecordingTimers(Timers loop) { this.loop = loop; }

        @Override public long nanoTime() { return loop.nanoTime(); }

        @Override
        public void schedule(Timer timer, long delay, TimeUnit unit) {
            if (unit.toNanos(delay) <= 0) zeroDelaySchedules++; else laterSchedules++;
            loop.schedule(timer, delay, unit);
        }

        @Override public void cancel(Timer timer) { loop.cancel(timer); }
    }
}
