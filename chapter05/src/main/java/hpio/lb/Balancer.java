package hpio.lb;

import hpio.net.OpenFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.function.Supplier;

/**
 * A running {@code high_perf_lb}, whichever way it moves bytes: the reactor
 * ({@link LoadBalancer}, an event loop on any readiness backend, the exercises'
 * hooks) or the proactor ({@link CompletionBalancer}, io_uring operations and
 * their completions). The command line and the tests see it through this.
 */
public interface Balancer extends AutoCloseable {
    /** The event-backend name that picks the completion path. */
    String COMPLETION = CompletionBalancer.NAME;

    /** The balancer the config asks for, with the exercise objects it asks for (the reactor's). */
    static Balancer open(LbConfig config, PrintStream log) throws IOException {
        if (config.eventBackend().equals(COMPLETION)) return new CompletionBalancer(config, OpenFiles.raiseSoftToHard(), log);
        return new LoadBalancer(config, log);
    }

    /**
     * As {@link #open(LbConfig, PrintStream)} with exercise objects of the caller's;
     * the completion path runs none, so it is refused with them.
     */
    static Balancer open(LbConfig config, Supplier<Hooks> hooksPerLoop, OpenFiles.Limit files, PrintStream log)
            throws IOException {
        if (config.eventBackend().equals(COMPLETION)) {
            Hooks h = hooksPerLoop.get();
            if (h.readPolicy() != hpio.lb.hooks.ReadPolicy.LEVEL_TRIGGERED || h.writeQueues() != null || h.idle() != null
                    || h.shutdown() != null) {
                throw new IllegalArgumentException(COMPLETION + " runs none of the exercise hooks (those of "
                        + h.origin() + "): they are seams of the reactor's event loop");
            }
            return new CompletionBalancer(config, files, log);
        }
        return new LoadBalancer(config, hooksPerLoop, files, log);
    }

    /** Runs until {@link #stop()}, then closes every connection. */
    void run() throws IOException;

    /** Ends {@link #run()}; any thread. */
    void stop();

    int port();

    String backendName();

    // Counters, read from other threads: a moment stale at worst.
    int activeConnections();
    int poolFree();
    int poolCapacity();
    List<Upstream> upstreams();
    long rejectedPoolFull();
    long handlerFailures();
    /** Bytes one direction held at most, waiting for a destination that did not take them at once. */
    int maxBuffered();
    long bytesToClients();
    long bytesToBackends();
    String statusLine();

    @Override
    void close() throws IOException;
}
