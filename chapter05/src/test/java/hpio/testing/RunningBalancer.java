package hpio.testing;

import hpio.lb.Balancer;
import hpio.lb.Hooks;
import hpio.lb.LbConfig;
import hpio.lb.LoadBalancer;
import hpio.net.OpenFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A {@link Balancer} running in-process on its own thread, with its log captured:
 * the reactor ({@link LoadBalancer}) or, for {@code io_uring-completion}, the proactor.
 */
public final class RunningBalancer implements AutoCloseable {
    public final Balancer lb;
    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private final Thread thread;
    private volatile Throwable failure;

    public RunningBalancer(LbConfig config) throws IOException {
        this(config, null);
    }

    /** With these exercise seams (null: the ones the config asks for, from the kit on the class path). */
    public RunningBalancer(LbConfig config, Hooks hooks) throws IOException {
        PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);
        lb = hooks == null ? Balancer.open(config, log)
                : Balancer.open(config, () -> hooks, OpenFiles.raiseSoftToHard(), log);
        thread = Thread.ofPlatform().name("lb-" + config.eventBackend()).start(() -> {
            try {
                lb.run();
            } catch (Throwable t) {
                failure = t;
            }
        });
    }

    public int port() { return lb.port(); }

    /** The reactor, for tests that look inside it (its loops, pool, forwarder); fails on the completion path. */
    public LoadBalancer reactor() {
        if (lb instanceof LoadBalancer r) return r;
        throw new IllegalStateException("not the reactor: " + lb.backendName() + " (use Balancer's own counters)");
    }

    public String log() {
        synchronized (logBytes) {
            return logBytes.toString(StandardCharsets.UTF_8);
        }
    }

    /** The thread run() runs on (a test reads what it allocated). */
    public Thread thread() { return thread; }

    /** Whether run() is still going (it ends on stop(), or when a drain is over). */
    public boolean running() { return thread.isAlive(); }

    /** Fails the test if the loop died. */
    public void assertAlive() {
        if (failure != null) throw new AssertionError("the balancer's loop died", failure);
        if (!thread.isAlive()) throw new AssertionError("the balancer's loop stopped");
    }

    /** Waits until every connection has been released. */
    public void awaitIdle() {
        Peers.await("the balancer has no connection left (has " + lb.activeConnections() + ")",
                () -> lb.activeConnections() == 0 && lb.poolFree() == lb.poolCapacity());
    }

    @Override
    public void close() throws Exception {
        lb.stop();
        thread.join(30_000);
        if (failure != null) throw new AssertionError("the balancer's loop died", failure);
    }
}
