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
 * The cost of one {@code runOnce} (one kernel wait plus dispatch) with one ready
 * fd and {@code idleFds} idle ones registered. poll is O(registered): the whole
 * array goes to the kernel, which checks every entry. epoll and nio (itself epoll
 * on Linux) are O(ready): the kernel keeps the interest list and a ready list.
 * io_uring (readiness) is O(ready) too: each fd has a poll armed in the kernel,
 * and only a ready one posts a completion.
 * select cannot go past FD_SETSIZE, so it has its own class:
 * {@link SelectRunOnceBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class RunOnceBenchmark {
    @Param({"poll", "epoll", "io_uring", "nio"})
    public String backend;

    @Param({"10", "100", "1000", "10000"})
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
