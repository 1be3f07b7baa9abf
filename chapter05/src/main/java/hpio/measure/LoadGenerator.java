package hpio.measure;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * The load generator {@code make stress} uses when wrk is not installed (or with
 * {@code LOAD=builtin}): an HTTP/1.1 client on loopback, like wrk in what it
 * does and reports. C connections, spread over T threads (one by default, as the
 * stress table runs wrk), each with its own {@link Selector}; every connection
 * sends {@code GET}, reads the response by its Content-Length, and sends the next
 * at once (keep-alive), or with {@code --close} asks for "Connection: close" and
 * opens a new connection for every request.
 *
 * <p>Latency is taken from the request's first byte written to the response's
 * last byte read (as wrk does: a new connection's connect time is not in it), in
 * microseconds, into an HdrHistogram. Errors are counted as wrk counts them:
 * connect, read (reset, or closed before a whole response), write, timeout (no
 * response within {@code --timeout}), and status (4xx and 5xx responses). A
 * request still in flight when the time is up is not counted. With
 * {@code --warmup S} the same connections first run S seconds unmeasured (the
 * JIT compiles, the connections are made), then "Measuring" is printed and the
 * counts start from zero.
 *
 * <pre>java -cp high_perf_lb.jar hpio.measure.LoadGenerator -c 100 -d 10 http://127.0.0.1:8080/</pre>
 *
 * The last line of the output is for scripts:
 * {@code RESULT requests=N seconds=S rps=R p50_us=.. p99_us=.. errors=E connect=.. read=.. write=.. timeout=.. status=..}
 */
public final class LoadGenerator {
    static final long HIGHEST_MICROS = TimeUnit.SECONDS.toMicros(60);

    record Options(String host, int port, String path, int connections, int threads, double seconds,
                   double warmupSeconds, boolean close, long timeoutMillis) {}

    /** What one run measured: every thread's counts and latencies, merged. */
    public record Result(long requests, double seconds, Histogram latencyMicros,
                         long connectErrors, long readErrors, long writeErrors, long timeouts, long statusErrors) {
        public double requestsPerSecond() { return seconds > 0 ? requests / seconds : 0; }

        public long errors() { return connectErrors + readErrors + writeErrors + timeouts + statusErrors; }

        public long percentileMicros(double p) {
            return latencyMicros.getTotalCount() == 0 ? 0 : latencyMicros.getValueAtPercentile(p);
        }
    }

    private LoadGenerator() {}

    public static void main(String[] args) {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("load generator: " + e.getMessage());
            usage(System.err);
            System.exit(2);
            return;
        }
        if (o == null) {
            usage(System.out);
            return;
        }
        System.out.printf(Locale.ROOT, "Running %.0fs test @ http://%s:%d%s%s%n  %d thread(s) and %d connections%s%n",
                o.seconds(), o.host(), o.port(), o.path(),
                o.warmupSeconds() > 0 ? String.format(Locale.ROOT, " after %.0fs of warm-up", o.warmupSeconds()) : "",
                o.threads(), o.connections(),
                o.close() ? ", one request per connection (Connection: close)" : ", keep-alive");
        System.out.flush();
        Result r;
        try {
            r = run(o);
        } catch (IOException | RuntimeException e) {
            System.err.println("load generator: " + e);
            System.exit(1);
            return;
        }
        print(r, System.out);
    }

    static void print(Result r, PrintStream out) {
        out.printf(Locale.ROOT, "  Latency p50 %s, p90 %s, p99 %s, max %s%n",
                micros(r.percentileMicros(50)), micros(r.percentileMicros(90)), micros(r.percentileMicros(99)),
                micros(r.latencyMicros().getTotalCount() == 0 ? 0 : r.latencyMicros().getMaxValue()));
        out.printf(Locale.ROOT, "  %d requests in %.2fs%n", r.requests(), r.seconds());
        if (r.connectErrors() + r.readErrors() + r.writeErrors() + r.timeouts() > 0) {
            out.printf(Locale.ROOT, "  Socket errors: connect %d, read %d, write %d, timeout %d%n",
                    r.connectErrors(), r.readErrors(), r.writeErrors(), r.timeouts());
        }
        if (r.statusErrors() > 0) out.printf(Locale.ROOT, "  Non-2xx or 3xx responses: %d%n", r.statusErrors());
        out.printf(Locale.ROOT, "Requests/sec: %.2f%n", r.requestsPerSecond());
        out.printf(Locale.ROOT, "RESULT requests=%d seconds=%.3f rps=%.1f p50_us=%d p99_us=%d errors=%d connect=%d"
                        + " read=%d write=%d timeout=%d status=%d%n",
                r.requests(), r.seconds(), r.requestsPerSecond(), r.percentileMicros(50), r.percentileMicros(99),
                r.errors(), r.connectErrors(), r.readErrors(), r.writeErrors(), r.timeouts(), r.statusErrors());
    }

    private static String micros(long us) {
        if (us < 1000) return us + "us";
        if (us < 1_000_000) return String.format(Locale.ROOT, "%.2fms", us / 1000.0);
        return String.format(Locale.ROOT, "%.2fs", us / 1e6);
    }

    // ---------------------------------------------------------------- command line

    private static void usage(PrintStream out) {
        out.println("usage: java -cp high_perf_lb.jar hpio.measure.LoadGenerator [-c CONNS] [-t THREADS]"
                + " [-d SECONDS] [--warmup SECONDS] [--close] [--timeout MS] http://HOST:PORT[/PATH]");
        out.println("  -c 100, -t 1, -d 10, --warmup 0, --timeout 2000 by default; --close: one request per connection");
    }

    /** @return the options, or null for --help */
    static Options parse(String[] args) {
        int connections = 100, threads = 1;
        double seconds = 10, warmup = 0;
        long timeout = 2000;
        boolean close = false;
        String url = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-h", "--help" -> { return null; }
                case "--close" -> close = true;
                case "-c", "--connections" -> connections = positive(a, value(args, ++i, a));
                case "-t", "--threads" -> threads = positive(a, value(args, ++i, a));
                case "--timeout" -> timeout = positive(a, value(args, ++i, a));
                case "-d", "--duration" -> {
                    seconds = seconds(a, value(args, ++i, a));
                    if (seconds == 0) throw new IllegalArgumentException(a + " must be more than 0");
                }
                case "--warmup" -> warmup = seconds(a, value(args, ++i, a));
                default -> {
                    if (a.startsWith("-") || url != null) throw new IllegalArgumentException("unexpected argument '" + a + "'");
                    url = a;
                }
            }
        }
        if (url == null) throw new IllegalArgumentException("the URL is missing");
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad URL '" + url + "'");
        }
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("the URL must be http://HOST:PORT/..., not '" + url + "'");
        }
        if (threads > connections) threads = connections;
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) path += "?" + uri.getRawQuery();
        return new Options(uri.getHost(), uri.getPort() < 0 ? 80 : uri.getPort(), path, connections, threads,
                seconds, warmup, close, timeout);
    }

    private static double seconds(String option, String v) {
        double d;
        try {
            d = Double.parseDouble(v.endsWith("s") ? v.substring(0, v.length() - 1) : v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number of seconds, not '" + v + "'");
        }
        if (!(d >= 0) || d > 3600) throw new IllegalArgumentException(option + " must be from 0 to 3600 seconds");
        return d;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
        return args[i];
    }

    private static int positive(String option, String v) {
        try {
            int n = Integer.parseInt(v);
            if (n > 0) return n;
        } catch (NumberFormatException ignored) {
            // below
        }
        throw new IllegalArgumentException(option + " needs a positive number, not '" + v + "'");
    }

    // ---------------------------------------------------------------- the run

    /** Runs the load for the given time and returns what was measured. */
    static Result run(Options o) throws IOException {
        InetSocketAddress address = new InetSocketAddress(o.host(), o.port());
        if (address.isUnresolved()) throw new IOException("cannot resolve " + o.host());
        byte[] request = ("GET " + o.path() + " HTTP/1.1\r\nHost: " + o.host() + ":" + o.port() + "\r\n"
                + (o.close() ? "Connection: close\r\n" : "") + "\r\n").getBytes(StandardCharsets.US_ASCII);
        List<LoadWorker> workers = new ArrayList<>();
        for (int t = 0; t < o.threads(); t++) {
            int share = o.connections() / o.threads() + (t < o.connections() % o.threads() ? 1 : 0);
            workers.add(new LoadWorker(address, request, share, o.close(), TimeUnit.MILLISECONDS.toNanos(o.timeoutMillis())));
        }
        long start = System.nanoTime() + (long) (o.warmupSeconds() * 1e9);    // when measuring starts
        long deadline = start + (long) (o.seconds() * 1e9);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < workers.size(); t++) {
            LoadWorker w = workers.get(t);
            threads.add(Thread.ofPlatform().name("load-" + t).start(() -> w.run(start, deadline)));
        }
        if (o.warmupSeconds() > 0) {
            try {
                while (System.nanoTime() - start < 0) Thread.sleep(Math.max(1, (start - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
            System.out.println("Measuring");     // make stress starts its CPU clock here
            System.out.flush();
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Histogram all = new Histogram(HIGHEST_MICROS, 3);
        long requests = 0, connect = 0, read = 0, write = 0, timeouts = 0, status = 0;
        for (LoadWorker w : workers) {
            if (w.failure != null) throw new IOException("a load thread failed: " + w.failure, w.failure);
            all.add(w.latency);
            requests += w.requests;
            connect += w.connectErrors;
            read += w.readErrors;
            write += w.writeErrors;
            timeouts += w.timeouts;
            status += w.statusErrors;
        }
        return new Result(requests, seconds, all, connect, read, write, timeouts, status);
    }
}
