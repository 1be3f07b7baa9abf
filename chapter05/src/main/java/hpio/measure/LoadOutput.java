package hpio.measure;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what a load tool printed: wrk's report, or the last line of the built-in
 * generator ({@link LoadGenerator}, its {@code RESULT key=value ...} line). Both
 * become one {@link Measured}; a run that printed no result (wrk could not
 * connect at all, a crash) is empty.
 */
final class LoadOutput {
    private LoadOutput() {}

    /** The error kinds, in the order both tools print them and the notes name them. */
    static final List<String> ERROR_KINDS = List.of("connect", "read", "write", "timeout", "status");

    /**
     * One run's figures: requests per second (rounded to a whole number, as the
     * table shows it), p50 and p99 in milliseconds, the error total, and the
     * non-zero error counts by kind; and the requests completed in the measured
     * seconds (what the kernel's work per request is divided by).
     */
    record Measured(long requestsPerSecond, double p50Millis, double p99Millis, long errors,
                    Map<String, Long> errorsByKind, long requests) {
        /** The load tool's failed connects: its connect burst, not requests lost. */
        long connectErrors() { return errorsByKind.getOrDefault("connect", 0L); }

        /** Errors of requests on connections that were made: read, write, timeout, status. */
        long requestErrors() { return errors - connectErrors(); }

        /** "timeout:712, read:3", or "" when there were none. */
        String errorDetail() {
            StringBuilder d = new StringBuilder();
            errorsByKind.forEach((k, n) -> d.append(d.isEmpty() ? "" : ", ").append(k).append(':').append(n));
            return d.toString();
        }

        /** p50 and p99 as the CSV holds them (ms, three decimals). */
        String p50() { return Numbers.fixed(p50Millis, 3); }

        String p99() { return Numbers.fixed(p99Millis, 3); }
    }

    static Optional<Measured> parse(LoadTool tool, String output) {
        return tool == LoadTool.WRK ? parseWrk(output) : parseBuiltin(output);
    }

    // wrk 4: "Requests/sec:  61466.74", "     50%    1.17ms" (under "Latency Distribution"),
    // "  Socket errors: connect 0, read 26, write 0, timeout 17", "  Non-2xx or 3xx responses: 24"
    private static final Pattern RPS = Pattern.compile("(?m)^Requests/sec:\\s+([0-9.]+)");
    // "  184412 requests in 3.00s, 22.51MB read"
    private static final Pattern REQUESTS = Pattern.compile("(?m)^\\s*(\\d+) requests in ");
    private static final Pattern SOCKET_ERRORS = Pattern.compile(
            "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern STATUS_ERRORS = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");

    static Optional<Measured> parseWrk(String output) {
        Matcher rps = RPS.matcher(output);
        if (!rps.find()) return Optional.empty();
        Map<String, Long> errors = new LinkedHashMap<>();
        Matcher socket = SOCKET_ERRORS.matcher(output);
        if (socket.find()) {
            for (int i = 0; i < 4; i++) errors.put(ERROR_KINDS.get(i), Long.parseLong(socket.group(i + 1)));
        }
        Matcher status = STATUS_ERRORS.matcher(output);
        if (status.find()) errors.put("status", Long.parseLong(status.group(1)));
        Matcher requests = REQUESTS.matcher(output);
        long n = requests.find() ? Long.parseLong(requests.group(1)) : 0;
        return Optional.of(measured(Double.parseDouble(rps.group(1)), wrkPercentile(output, "50"),
                wrkPercentile(output, "99"), errors, n));
    }

    /** A percentile line of wrk's latency distribution, in ms; 0 when wrk printed none (no --latency). */
    private static double wrkPercentile(String output, String percent) {
        Matcher m = Pattern.compile("(?m)^ +" + percent + "%\\s+(\\S+)").matcher(output);
        return m.find() ? wrkMillis(m.group(1)) : 0;
    }

    /** wrk's latency units: us, ms, s, m (minutes), in milliseconds. */
    static double wrkMillis(String v) {
        Matcher m = Pattern.compile("([0-9.]+)(us|ms|s|m)?").matcher(v);
        if (!m.matches()) throw new IllegalArgumentException("not a wrk latency: '" + v + "'");
        double n = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2);
        return switch (unit) {
            case "us" -> n / 1000;
            case "s" -> n * 1000;
            case "m" -> n * 60_000;
            default -> n;
        };
    }

    static Optional<Measured> parseBuiltin(String output) {
        Map<String, String> v = null;
        for (String line : output.split("\n")) {
            if (!line.startsWith("RESULT ")) continue;
            v = new LinkedHashMap<>();             // the last RESULT line wins
            for (String kv : line.substring(7).trim().split("\\s+")) {
                int eq = kv.indexOf('=');
                if (eq > 0) v.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        if (v == null) return Optional.empty();
        Map<String, Long> errors = new LinkedHashMap<>();
        for (String kind : ERROR_KINDS) errors.put(kind, number(v, kind).longValue());
        return Optional.of(measured(number(v, "rps").doubleValue(), number(v, "p50_us").doubleValue() / 1000,
                number(v, "p99_us").doubleValue() / 1000, errors, number(v, "requests").longValue()));
    }

    private static Number number(Map<String, String> v, String key) {
        String s = v.getOrDefault(key, "0");
        try {
            return s.contains(".") ? Double.parseDouble(s) : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Measured measured(double rps, double p50, double p99, Map<String, Long> all, long requests) {
        Map<String, Long> nonZero = new LinkedHashMap<>();
        long total = 0;
        for (String kind : ERROR_KINDS) {
            long n = all.getOrDefault(kind, 0L);
            total += n;
            if (n > 0) nonZero.put(kind, n);
        }
        return new Measured(Long.parseLong(Numbers.fixed(rps, 0)), p50, p99, total, nonZero, requests);
    }
}
