package hpio.testing;

import hpio.lb.Hooks;
import hpio.lb.LbConfig;
import hpio.lb.LoadBalancer;
import hpio.net.OpenFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** A {@link LoadBalancer} running in-process on its own thread, with its log captured. */
public final class RunningBalancer implements AutoCloseable {
    public final LoadBalancer lb;
    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private final Thread thread;
    private volatile Throwable failure;

    public RunningBalancer(LbConfig config) throws IOException {
        this(config, null);
    }

    /** With these exercise seams (null: the ones the config asks for, from the kit on the class path). */
    public RunningBalancer(LbConfig config, Hooks hooks) throws IOException {
        PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);
        lb = hooks == null ? new LoadBalancer(config, log)
                : new LoadBalancer(config, hooks, OpenFiles.raiseSoftToHard(), log);
        thread = Thread.ofPlatform().name("lb-" + config.eventBackend()).start(() -> {
            try {
                lb.run();
            } catch (Throwable t) {
                failure = t;
            }
        });
    }

    public int port() { return lb.port(); }

    public String log() {
        synchronized (logBytes) {
            return logBytes.toString(StandardCharsets.UTF_8);
        }
    }

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
                () -> lb.activeConnections() == 0 && lb.pool().freeCount() == lb.pool().size());
    }

    @Override
    public void close() throws Exception {
        lb.stop();
        thread.join(30_000);
        if (failure != null) throw new AssertionError("the balancer's loop died", failure);
    }
}
