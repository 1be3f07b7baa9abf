package hpio.bench;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@link RunOnceBenchmark} for select(2), which only takes fds below
 * FD_SETSIZE (1024). The JVM and JMH hold a few dozen fds already, and the
 * ready pair adds three, so 900 idle fds is the most that fits with room to
 * spare. (JMH cannot skip parameter combinations, hence a class of its own.)
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SelectRunOnceBenchmark {
    @Param({"select"})
    public String backend;

    @Param({"10", "100", "900"})
    public int idleFds;

    private LoopUnderTest loop;

    @Setup(Level.Trial)
    public void open() throws IOException {
        loop = new LoopUnderTest(backend, idleFds);
    }

    @Benchmark
    public int runOnce() throws IOException {
        return loop.runOnce();
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        if (loop != null) loop.close();
    }
}
