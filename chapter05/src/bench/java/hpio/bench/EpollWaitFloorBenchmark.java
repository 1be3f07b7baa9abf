package hpio.bench;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import hpio.nativeio.LinuxEpoll;
import hpio.nativeio.NativeIOException;
import hpio.nativeio.Posix;
import hpio.net.NativeSockets;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
 * The floor under the epoll runOnce: the bare epoll_wait(2) downcall through FFM,
 * on an epoll fd holding the same fds as {@link RunOnceBenchmark} (N idle, one
 * ready), with no translation and no dispatch. The epoll runOnce over this is
 * what the loop itself costs.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class EpollWaitFloorBenchmark {
    @Param({"10", "100", "1000", "10000"})
    public int idleFds;

    private Arena arena;
    private MemorySegment cs;
    private MemorySegment events;
    private int epfd = -1;
    private ReadyAmongIdle fds;

    @Setup(Level.Trial)
    public void open() throws IOException {
        arena = Arena.ofConfined();
        try {
            cs = Posix.newCallState(arena);
            events = arena.allocate(LinuxEpoll.EPOLL_EVENT, LoopUnderTest.BATCH);
            epfd = LinuxEpoll.epollCreate1(cs, LinuxEpoll.EPOLL_CLOEXEC);
            if (epfd < 0) throw new NativeIOException("epoll_create1", Posix.errno(cs));
            fds = new ReadyAmongIdle(new NativeSockets(), idleFds);
            MemorySegment change = arena.allocate(LinuxEpoll.EPOLL_EVENT);
            for (int fd : fds.idleFds()) add(change, fd);
            add(change, fds.readyFd());
            for (int i = 0; i < 3; i++) epollWait();   // fail in setup if the ready fd is not reported
        } catch (IOException | RuntimeException e) {
            try { close(); } catch (IOException suppressed) { e.addSuppressed(suppressed); }
            throw e;
        }
    }

    /** The same registration the epoll backend makes for READ (level-triggered). */
    private void add(MemorySegment change, int fd) throws NativeIOException {
        change.set(JAVA_INT, 0, LinuxEpoll.EPOLLIN | LinuxEpoll.EPOLLRDHUP);
        change.set(JAVA_LONG_UNALIGNED, LinuxEpoll.DATA_OFFSET, fd);
        if (LinuxEpoll.epollCtl(cs, epfd, LinuxEpoll.EPOLL_CTL_ADD, fd, change) < 0) {
            throw new NativeIOException("epoll_ctl(ADD, fd=" + fd + ")", Posix.errno(cs));
        }
    }

    @Benchmark
    public int epollWait() {
        int n = LinuxEpoll.epollWait(cs, epfd, events, LoopUnderTest.BATCH, LoopUnderTest.WAIT_MS);
        if (n != 1) throw new IllegalStateException("epoll_wait returned " + n + ", expected 1");
        return n;
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        try {
            if (epfd >= 0 && Posix.close(cs, epfd) < 0) throw new NativeIOException("close(epfd)", Posix.errno(cs));
        } finally {
            epfd = -1;
            try {
                if (fds != null) fds.close();
            } finally {
                fds = null;
                if (arena != null) arena.close();
                arena = null;
            }
        }
    }
}
