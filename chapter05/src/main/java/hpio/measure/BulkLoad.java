package hpio.measure;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bulk scenario's tool: iperf3 where it is installed (one TCP flow, client
 * to server, 128 KiB writes), else {@link BulkTool} (one flow, 256 KiB writes),
 * each with a server of its own that the proxy forwards to. The table says
 * which one was used.
 */
enum BulkLoad {
    IPERF3("iperf3"), BUILTIN("builtin");

    /** The name in the CSV's load_tool column. */
    final String csvName;

    BulkLoad(String csvName) { this.csvName = csvName; }

    /** iperf3 unless LOAD=builtin or it is not installed. */
    static BulkLoad choose(String load, boolean iperf3Installed) {
        return !load.equals("builtin") && iperf3Installed ? IPERF3 : BUILTIN;
    }

    /** "iperf3 3.12, 1 flow" (from {@code iperf3 --version}: "iperf 3.12 (cJSON 1.7.15)") or the built-in's name. */
    String describe() {
        if (this == BUILTIN) return "built-in (hpio.measure.BulkTool, 256 KiB writes), 1 flow";
        return "iperf3 " + Host.find(Host.output("iperf3", "--version"), "^iperf ([^ ]*)") + ", 1 flow, 128 KiB writes";
    }

    /** The server the proxy forwards to, on {@code port}. */
    List<String> serverCommand(int port, String java, String jar) {
        if (this == IPERF3) return List.of("iperf3", "-s", "-p", Integer.toString(port));
        return List.of(java, "-XX:+UseSerialGC", "-Xmx64m", "-cp", jar, BulkTool.class.getName(), "serve",
                Integer.toString(port));
    }

    /** One flow for SECONDS to the port (the proxy's, or the server's on the direct row). */
    List<String> command(int seconds, int port, String java, String jar) {
        if (this == IPERF3) {
            return List.of("iperf3", "-c", "127.0.0.1", "-p", Integer.toString(port), "-t", Integer.toString(seconds),
                    "-J");
        }
        return List.of(java, "-XX:+UseSerialGC", "-Xmx64m", "-cp", jar, BulkTool.class.getName(), "send",
                Integer.toString(port), Integer.toString(seconds), "0");
    }

    /** What a flow moved: bytes the receiver took, and the rate in Gb/s (10^9 bits per second). */
    record Transfer(long bytes, double gbps) {}

    // iperf3 -J: "sum_received": { "start": 0, "end": 3.0002, "seconds": 3.0002, "bytes": 5678, "bits_per_second": 1.5e10, ...
    private static final Pattern IPERF3_RECEIVED = Pattern.compile(
            "\"sum_received\"\\s*:\\s*\\{[^}]*?\"bytes\"\\s*:\\s*([0-9]+)[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");
    private static final Pattern BUILTIN_RESULT = Pattern.compile(
            "(?m)^RESULT bytes=([0-9]+) seconds=[0-9.]+ gbps=([0-9.]+)$");

    /** The transfer in what the tool printed; empty when it printed none (it could not connect, it failed). */
    Optional<Transfer> parse(String output) {
        if (this == IPERF3) {
            Matcher m = IPERF3_RECEIVED.matcher(output);
            if (!m.find()) return Optional.empty();
            return Optional.of(new Transfer(Long.parseLong(m.group(1)), Double.parseDouble(m.group(2)) / 1e9));
        }
        Matcher m = BUILTIN_RESULT.matcher(output);
        if (!m.find()) return Optional.empty();
        return Optional.of(new Transfer(Long.parseLong(m.group(1)), Double.parseDouble(m.group(2))));
    }
}
