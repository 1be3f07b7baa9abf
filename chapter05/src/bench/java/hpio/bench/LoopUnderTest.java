package hpio.bench;

import hpio.loop.EventLoop;
import hpio.loop.EventLoops;
import hpio.loop.Events;
import hpio.transport.Transport;
import java.io.IOException;

/**
 * One event loop on a named backend with N idle fds and one ready fd registered
 * for READ (level-triggered), as the runOnce benchmarks measure it. Shared by
 * {@link RunOnceBenchmark} and {@link SelectRunOnceBenchmark}, which differ only
 * in the fd counts they may ask for.
 */
final class LoopUnderTest implements AutoCloseable {
    /** Events per wait: the loop's max_events. Only one is ever ready here. */
    static final int BATCH = 64;
    /**
     * runOnce's timeout. An fd is always ready so the wait never lasts this long;
     * a blocking wait (not 0) is what a real loop does, and for poll and select
     * the kernel then registers a wait-queue entry on each fd it checks before
     * the ready one. If the ready fd were ever lost, each op would take a second:
     * impossible to miss, and {@link #runOnce} throws anyway.
     */
    static final int WAIT_MS = 1000;

    private final EventLoop loop;
    private final ReadyAmongIdle fds;
    long handled;

    LoopUnderTest(String backend, int idleFds) throws IOException {
        Transport transport = Transport.open(backend, BATCH);
        EventLoop opened = transport.loop();
        ReadyAmongIdle made = null;
        try {
            made = new ReadyAmongIdle(transport.sockets(), idleFds);
            for (int fd : made.idleFds()) {
                opened.add(fd, Events.READ, (fd1, events) -> {
                    throw new IllegalStateException("idle fd " + fd1 + " reported " + Events.toString(events));
                });
            }
            // Never reads its byte: so it is ready again on the next wait.
            opened.add(made.readyFd(), Events.READ, (fd, events) -> handled++);
            if (opened.registeredCount() != idleFds + 1) {
                throw new IllegalStateException("registered " + opened.registeredCount() + ", expected " + (idleFds + 1));
            }
        } catch (IOException | RuntimeException e) {
            try {
                opened.close();
                if (made != null) made.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        this.loop = opened;
        this.fds = made;
        for (int i = 0; i < 3; i++) runOnce();   // fail in setup, not mid-measurement, if it is wrong
    }

    /** One wait plus dispatch; exactly one handler call, or this throws. */
    int runOnce() throws IOException {
        int n = loop.runOnce(WAIT_MS);
        if (n != 1 || loop.failures() != 0) {
            throw new IllegalStateException(loop.backendName() + ": runOnce dispatched " + n + " with "
                    + loop.failures() + " failures, expected 1 and none");
        }
        return n;
    }

    /** Closes the loop, then every fd (the loop never closes the fds registered with it). */
    @Override
    public void close() throws IOException {
        try {
            loop.close();
        } finally {
            fds.close();
        }
    }
}
