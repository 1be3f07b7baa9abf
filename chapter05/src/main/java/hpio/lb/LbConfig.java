package hpio.lb;

import java.util.List;

/** Everything the command line decides. */
public record LbConfig(
        String bindAddress,
        int port,
        List<UpstreamSpec> upstreams,
        String algorithm,
        String eventBackend,
        int maxConnections,          // 0: derive from the open-files limit
        int connectTimeoutMillis,
        int failTimeoutSeconds,
        boolean verbose,
        int statusIntervalMillis,
        Exercises exercises,
        int threads,                 // event loops, each on a thread of its own (--threads; 1: the chapter's one loop)
        int splicePipeBytes) {       // 0: copy through user space; else --splice, pipes of this many bytes

    public LbConfig {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, not " + threads);
    }

    /** One loop (the chapter's balancer). */
    public LbConfig(String bindAddress, int port, List<UpstreamSpec> upstreams, String algorithm, String eventBackend,
                    int maxConnections, int connectTimeoutMillis, int failTimeoutSeconds, boolean verbose,
                    int statusIntervalMillis, Exercises exercises) {
        this(bindAddress, port, upstreams, algorithm, eventBackend, maxConnections, connectTimeoutMillis,
                failTimeoutSeconds, verbose, statusIntervalMillis, exercises, 1, 0);
    }

    /** HOST:PORT[:WEIGHT] as given. */
    public record UpstreamSpec(String host, int port, int weight) {
        @Override public String toString() { return host + ":" + port + ":" + weight; }
    }

    /**
     * The exercises switched on (each off by default).
     *
     * @param writeBufferHighWatermark bytes; 0 = baseline (no write buffer); the low watermark is half
     * @param idleTimeoutMillis        0 = never close idle connections
     * @param drainTimeoutSeconds      -1 = no graceful shutdown (a signal stops at once)
     */
    public record Exercises(boolean edgeTriggered, int writeBufferHighWatermark, long idleTimeoutMillis,
                            int drainTimeoutSeconds) {
        public static final Exercises NONE = new Exercises(false, 0, 0, -1);

        public Exercises withEdgeTriggered(boolean on) {
            return new Exercises(on, writeBufferHighWatermark, idleTimeoutMillis, drainTimeoutSeconds);
        }

        public Exercises withWriteBuffer(int highWatermark) {
            return new Exercises(edgeTriggered, highWatermark, idleTimeoutMillis, drainTimeoutSeconds);
        }

        public Exercises withIdleTimeoutMillis(long millis) {
            return new Exercises(edgeTriggered, writeBufferHighWatermark, millis, drainTimeoutSeconds);
        }

        public Exercises withDrainTimeout(int seconds) {
            return new Exercises(edgeTriggered, writeBufferHighWatermark, idleTimeoutMillis, seconds);
        }
    }

    public static LbConfig defaults(int port, List<UpstreamSpec> upstreams) {
        return new LbConfig("127.0.0.1", port, upstreams, "rr", "auto", 0, 3000, 10, false, 5000, Exercises.NONE, 1, 0);
    }

    public LbConfig withAlgorithm(String a) {
        return new LbConfig(bindAddress, port, upstreams, a, eventBackend, maxConnections, connectTimeoutMillis,
                failTimeoutSeconds, verbose, statusIntervalMillis, exercises, threads, splicePipeBytes);
    }

    public LbConfig withEventBackend(String b) {
        return new LbConfig(bindAddress, port, upstreams, algorithm, b, maxConnections, connectTimeoutMillis,
                failTimeoutSeconds, verbose, statusIntervalMillis, exercises, threads, splicePipeBytes);
    }

    public LbConfig withMaxConnections(int n) {
        return new LbConfig(bindAddress, port, upstreams, algorithm, eventBackend, n, connectTimeoutMillis,
                failTimeoutSeconds, verbose, statusIntervalMillis, exercises, threads, splicePipeBytes);
    }

    public LbConfig withTimeouts(int connectMillis, int failSeconds) {
        return new LbConfig(bindAddress, port, upstreams, algorithm, eventBackend, maxConnections, connectMillis,
                failSeconds, verbose, statusIntervalMillis, exercises, threads, splicePipeBytes);
    }

    public LbConfig withExercises(Exercises e) {
        return new LbConfig(bindAddress, port, upstreams, algorithm, eventBackend, maxConnections,
                connectTimeoutMillis, failTimeoutSeconds, verbose, statusIntervalMillis, e, threads, splicePipeBytes);
    }

    public LbConfig withThreads(int n) {
        return new LbConfig(bindAddress, port, upstreams, algorithm, eventBackend, maxConnections,
                connectTimeoutMillis, failTimeoutSeconds, verbose, statusIntervalMillis, exercises, n, splicePipeBytes);
    }

    /** --splice with pipes of {@code pipeBytes} (0: no splice). */
    public LbConfig withSplice(int pipeBytes) {
        return new LbConfig(bindAddress, port, upstreams, algorithm, eventBackend, maxConnections,
                connectTimeoutMillis, failTimeoutSeconds, verbose, statusIntervalMillis, exercises, threads, pipeBytes);
    }
}
