package hpio.bench;

import hpio.loop.EventLoop;
import hpio.loop.Timer;
import hpio.transport.Transport;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The loop's timers under the balancer's use: N timers armed (one per connection
 * connecting, say), and one of them re-armed per operation to a new deadline, as
 * a timeout pushed back by activity. With {@code -prof gc} it shows what a re-arm
 * allocates (the target: 0 B/op).
 */
@State(Scope.Thread)
public class TimerBenchmark {
    @Param({"100", "10000"})
    public int armed;

    private Transport transport;
    private EventLoop loop;
    private Timer[] timers;
    private int next;
    private long step;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        transport = Transport.open("auto", 64);
        loop = transport.loop();
        timers = new Timer[armed];
        for (int i = 0; i < armed; i++) {
            timers[i] = new Timer(() -> { });
            loop.schedule(timers[i], 60_000 + i, TimeUnit.MILLISECONDS);
        }
    }

    /** Re-arm one timer, round robin, to a deadline that moves it through the heap. */
    @Benchmark
    public int reArm() {
        Timer t = timers[next];
        next = next + 1 == timers.length ? 0 : next + 1;
        step = (step + 7919) % 60_000;
        loop.schedule(t, 60_000 + step, TimeUnit.MILLISECONDS);
        return loop.scheduledTimers();
    }

    /** Cancel and arm again: a connect timer's life (armed at connect, cancelled when it completes). */
    @Benchmark
    public int cancelAndArm() {
        Timer t = timers[next];
        next = next + 1 == timers.length ? 0 : next + 1;
        loop.cancel(t);
        loop.schedule(t, 3_000, TimeUnit.MILLISECONDS);
        return loop.scheduledTimers();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        transport.close();
    }
}
