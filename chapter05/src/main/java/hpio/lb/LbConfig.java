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
        int statusIntervalMillis) {

    /** HOST:PORT[:WEIGHT] as given. */
    public record UpstreamSpec(String host, int port, int weight) {
        @Override public String toString() { return host + ":" + port + ":" + weight; }
    }

    public static LbConfig defaults(int port, List<UpstreamSpec> upstreams) {
        return new LbConfig("127.0.0.1", port, upstreams, "rr", "auto", 0, 3000, 10, false, 5000);
    }

    public LbConfig withAlgorithm(String a) {
        return new LbConfig(bindAddress, port, upstreams, a, eventBackend, maxConnections, connectTimeoutMillis,
                failTimeoutSeconds, verbose, statusIntervalMillis);
    }

    public LbConfig withEventBackend(String b) {
        return new LbConfig(bindAddress, port, upstreams, algorithm, b, maxConnections, connectTimeoutMillis,
                failTimeoutSeconds, verbose, statusIntervalMillis);
    }

    public LbConfig withMaxConnections(int n) {
        return new LbConfig(bindAddress, port, upstreams, algorithm, eventBackend, n, connectTimeoutMillis,
                failTimeoutSeconds, verbose, statusIntervalMillis);
    }

    public LbConfig withTimeouts(int connectMillis, int failSeconds) {
        return new LbConfig(bindAddress, port, upstreams, algorithm, eventBackend, maxConnections, connectMillis,
                failSeconds, verbose, statusIntervalMillis);
    }
}
