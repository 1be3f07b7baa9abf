package hpio.lb;

import hpio.lb.hooks.ExerciseKit;
import hpio.loop.EventLoops;
import hpio.nativeio.LinuxIoUring;
import hpio.net.Splice;
import hpio.net.OpenFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The command line of {@code ./high_perf_lb}. Exit codes: 0 after a clean stop, 1
 * when it cannot start (port in use, permission denied), 2 for a bad command line.
 */
@Command(name = "high_perf_lb", sortOptions = false, mixinStandardHelpOptions = false,
        usageHelpAutoWidth = true,
        description = "An event-driven TCP load balancer (chapter 05 of the High-Performance I/O workbook).")
public final class HighPerfLb implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PORT", description = "port to listen on (1-65535)")
    int port;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "HOST:PORT[:WEIGHT]",
            description = "backend servers; WEIGHT (default 1) is used by wrr")
    List<String> backends = new ArrayList<>();

    @Option(names = {"-a", "--algorithm"}, paramLabel = "ALG", defaultValue = "rr",
            description = "rr | wrr | iphash | leastconn (default: ${DEFAULT-VALUE})")
    String algorithm;

    @Option(names = {"-e", "--event-backend"}, paramLabel = "NAME", defaultValue = "auto",
            description = "auto | select | poll | epoll | io_uring | kqueue | nio, or student-epoll (exercise 1)"
                    + " (default: ${DEFAULT-VALUE}); io_uring-completion: not an event loop but the proactor,"
                    + " accept, connect, receive and send as io_uring operations (one loop, no exercise options)")
    String eventBackend;

    @Option(names = "--bind", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "address to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 for all interfaces)")
    String bind;

    @Option(names = "--max-conns", paramLabel = "N", defaultValue = "0",
            description = "most connections at once (default: what the open-files limit allows, two fds"
                    + " per connection, and half the heap; the pool grows to it as clients come)")
    int maxConns;

    @Option(names = "--connect-timeout", paramLabel = "MS", defaultValue = "3000",
            description = "backend connect timeout in milliseconds (default: ${DEFAULT-VALUE})")
    int connectTimeout;

    @Option(names = "--fail-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "skip a backend this long after a failed connect (default: ${DEFAULT-VALUE})")
    int failTimeout;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
            description = "event loops, each on a thread of its own with its own listening socket on PORT"
                    + " (SO_REUSEPORT: the kernel spreads the clients); auto = one per available processor"
                    + " (default: ${DEFAULT-VALUE}, the chapter's single loop)")
    String threads;

    @Option(names = "--splice", arity = "0..1", paramLabel = "KIB", fallbackValue = "256",
            description = "zero-copy: splice(2) socket -> pipe -> socket, pipes of KIB (256 if no value; Linux,"
                    + " not nio: it has no fds to splice)")
    Integer spliceKib;

    @Option(names = "-v", description = "print a status line every few seconds")
    boolean verbose;

    @Option(names = "--edge-triggered", description = "exercise 3: edge-triggered registrations (epoll, io_uring, kqueue)")
    boolean edgeTriggered;

    @Option(names = "--write-buffer", arity = "0..1", paramLabel = "KIB", fallbackValue = "64",
            description = "exercise 4: per-direction write buffers, high watermark KIB (64 if no value), low half")
    Integer writeBufferKib;

    @Option(names = "--idle-timeout", arity = "0..1", paramLabel = "SECONDS", fallbackValue = "60",
            description = "exercise 5: close connections idle this long (60 if no value; 0.3 = 300 ms)")
    Double idleTimeoutSeconds;

    @Option(names = "--graceful", description = "exercise 6: on SIGTERM/SIGINT stop accepting and drain (30 s)")
    boolean graceful;

    @Option(names = "--drain-timeout", paramLabel = "SECONDS",
            description = "exercise 6: like --graceful, closing what is left after SECONDS")
    Integer drainTimeout;

    @Option(names = "--solutions", description = "use the reference solutions for the exercise options"
            + " instead of your code in exercises/ (the launcher picks the class path)")
    boolean solutions;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    private final PrintStream log;
    private final ExerciseKit kit = ExerciseKit.find();   // the exercise classes on the class path, if any
    private Balancer balancer;

    HighPerfLb(PrintStream log) { this.log = log; }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Parses, validates and runs; returns the exit code (for tests, without exiting). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        HighPerfLb app = new HighPerfLb(err);
        CommandLine cmd = new CommandLine(app);
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        cmd.getCommandSpec().usageMessage().footer(footer());
        cmd.setParameterExceptionHandler((ex, a) -> {
            // One line naming the problem, then the usage: exit 2.
            ex.getCommandLine().getErr().println("high_perf_lb: " + ex.getMessage());
            ex.getCommandLine().usage(ex.getCommandLine().getErr());
            return 2;
        });
        return cmd.execute(args);
    }

    private static String[] footer() {
        String uring = EventLoops.unavailableReason("io_uring");   // probed: seccomp or a sysctl may forbid it
        return new String[] {"", "Event Backend: " + EventLoops.autoName()
                + " (what auto picks on this machine; available here: " + available() + ")"
                + (uring == null ? "" : "%nio_uring and io_uring-completion are unavailable here: " + uring),
                "Threads: --threads auto is " + Runtime.getRuntime().availableProcessors()
                        + " here (the processors this JVM may use)",
                "", "Example:", "  ./high_perf_lb 8080 127.0.0.1:9001:3 127.0.0.1:9002:2 -a wrr"};
    }

    private static String available() {
        List<String> names = new ArrayList<>();
        for (String n : EventLoops.allNames()) if (EventLoops.isAvailable(n)) names.add(n);
        if (LinuxIoUring.unavailableReason() == null) names.add(Balancer.COMPLETION);
        return String.join(", ", names);
    }

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    LbConfig validate() {
        if (port < 1 || port > 65535) throw bad("PORT must be between 1 and 65535, not " + port);
        if (backends.size() > 64) throw bad("at most 64 backends are supported, not " + backends.size());
        List<LbConfig.UpstreamSpec> specs = new ArrayList<>();
        for (String b : backends) specs.add(parseBackend(b));
        try {
            Algorithm.of(algorithm, 1);
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
        boolean completion = eventBackend.equals(Balancer.COMPLETION);
        String why = completion ? LinuxIoUring.unavailableReason() : EventLoops.unavailableReason(eventBackend);
        if (why != null) throw bad(why);
        if (completion) refuseReactorOnlyOptions();
        if (maxConns < 0) throw bad("--max-conns must not be negative, not " + maxConns);
        if (connectTimeout < 1) throw bad("--connect-timeout must be at least 1 ms, not " + connectTimeout);
        if (failTimeout < 0) throw bad("--fail-timeout must not be negative, not " + failTimeout);
        LbConfig.Exercises ex = LbConfig.Exercises.NONE.withEdgeTriggered(edgeTriggered);
        if (edgeTriggered && !EventLoops.supportsEdgeTriggered(eventBackend)) {
            throw bad("--edge-triggered needs the epoll, io_uring or kqueue backend, not " + EventLoops.resolve(eventBackend));
        }
        long heap = Runtime.getRuntime().maxMemory();
        if ((long) maxConns * ConnectionPool.HEAP_PER_CONNECTION > heap) {
            throw bad("--max-conns " + maxConns + " needs about " + (maxConns * ConnectionPool.HEAP_PER_CONNECTION >> 20)
                    + " MiB of heap at " + ConnectionPool.HEAP_PER_CONNECTION + " bytes a connection; this JVM has "
                    + (heap >> 20) + " MiB: lower --max-conns, or give more with JAVA_OPTS=-Xmx...");
        }
        if (writeBufferKib != null) {
            if (writeBufferKib < 1 || writeBufferKib > 1024 * 1024) {
                throw bad("--write-buffer must be from 1 to 1048576 KiB, not " + writeBufferKib);
            }
            ex = ex.withWriteBuffer(writeBufferKib * 1024);
        }
        if (idleTimeoutSeconds != null) {
            if (!(idleTimeoutSeconds > 0) || idleTimeoutSeconds > 86_400) {
                throw bad("--idle-timeout must be more than 0 and at most 86400 seconds, not " + idleTimeoutSeconds);
            }
            ex = ex.withIdleTimeoutMillis(Math.max(1, Math.round(idleTimeoutSeconds * 1000)));
        }
        int loops = parseThreads();
        if (drainTimeout != null && drainTimeout < 0) throw bad("--drain-timeout must not be negative");
        if (graceful || drainTimeout != null) ex = ex.withDrainTimeout(drainTimeout != null ? drainTimeout : 30);
        if (spliceKib != null) {
            String no = Splice.unavailableReason(EventLoops.resolve(eventBackend));
            if (no != null) throw bad(no);
            if (spliceKib < 4 || spliceKib > 1024) throw bad("--splice must be from 4 to 1024 KiB, not " + spliceKib);
            if (writeBufferKib != null) throw bad("--splice and --write-buffer do not go together: with --splice"
                    + " the pipe is the flow's write buffer");
        }
        if (solutions && (kit == null || !kit.origin().equals("solutions"))) {
            throw bad("--solutions is handled by the ./high_perf_lb launcher (it puts solutions/ on the class path)");
        }
        return new LbConfig(bind, port, specs, algorithm, eventBackend, maxConns, connectTimeout, failTimeout,
                verbose, 5000, ex, loops, spliceKib == null ? 0 : spliceKib * 1024);
    }

    /** The options the completion path does not have: each refused by name, in one line. */
    private void refuseReactorOnlyOptions() {
        String on = null;
        if (parseThreads() != 1) on = "--threads " + threads + " (it runs one loop)";
        else if (spliceKib != null) on = "--splice (its SENDs and RECVs copy through its buffers)";
        else if (edgeTriggered) on = "--edge-triggered (it asks for no readiness)";
        else if (writeBufferKib != null) on = "--write-buffer (a direction holds two buffers at most: one being sent, one behind it)";
        else if (idleTimeoutSeconds != null) on = "--idle-timeout (exercise 5 is the reactor's)";
        else if (graceful || drainTimeout != null) on = (graceful ? "--graceful" : "--drain-timeout")
                + " (exercise 6 is the reactor's)";
        if (on != null) throw bad(Balancer.COMPLETION + " does not take " + on);
    }

    private int parseThreads() {
        if (threads.equalsIgnoreCase("auto")) return Runtime.getRuntime().availableProcessors();
        int n;
        try {
            n = Integer.parseInt(threads);
        } catch (NumberFormatException e) {
            throw bad("--threads must be a number or auto, not '" + threads + "'");
        }
        if (n < 1 || n > MAX_THREADS) throw bad("--threads must be from 1 to " + MAX_THREADS + " or auto, not " + n);
        return n;
    }

    /** Far more than any machine's cores; a typo like 10000 would otherwise open that many loops. */
    static final int MAX_THREADS = 1024;

    private LbConfig.UpstreamSpec parseBackend(String text) {
        String[] parts = text.split(":", -1);
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty()) {
            throw bad("backend '" + text + "' is not HOST:PORT or HOST:PORT:WEIGHT");
        }
        int p = parseInt(parts[1], "port of backend '" + text + "'");
        if (p < 1 || p > 65535) throw bad("port of backend '" + text + "' must be between 1 and 65535");
        int weight = 1;
        if (parts.length == 3) {
            weight = parseInt(parts[2], "weight of backend '" + text + "'");
            if (weight < 1) throw bad("weight of backend '" + text + "' must be a positive integer");
        }
        return new LbConfig.UpstreamSpec(parts[0], p, weight);
    }

    private int parseInt(String s, String what) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw bad(what + " is not a number: '" + s + "'");
        }
    }

    /** An exercise stub was reached: say which one, plainly, rather than a stack trace. */
    private String notWrittenYet(UnsupportedOperationException todo) {
        String line = Hooks.notDoneYet(todo, kit != null ? kit.origin() : "exercises");
        return line != null ? line : "high_perf_lb: not supported: " + todo.getMessage();
    }

    /**
     * The open-files limit to size the pool by: the real one, raised. A test may
     * pretend another with -Dhpio.test.openFiles=N, since the hard limit cannot be
     * raised on every machine (start-up memory at a container's 1,048,576 is tested so).
     */
    private static OpenFiles.Limit openFiles() throws IOException {
        Long pretend = Long.getLong("hpio.test.openFiles");
        OpenFiles.Limit real = OpenFiles.raiseSoftToHard();
        if (pretend == null) return real;
        return new OpenFiles.Limit(pretend, pretend, "pretended by -Dhpio.test.openFiles (really " + real.soft() + ")");
    }

    @Override
    public Integer call() {
        LbConfig config = validate();
        try {
            // A supplier, not one Hooks: each loop (--threads) gets exercise objects of its own.
            balancer = Balancer.open(config, () -> Hooks.of(config.exercises(), kit), openFiles(), log);
        } catch (UnsupportedOperationException todo) {
            log.println(notWrittenYet(todo));
            return 1;
        } catch (IOException | RuntimeException e) {
            log.println("high_perf_lb: cannot start: " + e.getMessage());
            return 1;
        } catch (OutOfMemoryError e) {
            log.println("high_perf_lb: cannot start: out of memory (" + e.getMessage()
                    + "); give the JVM more with JAVA_OPTS=-Xmx... or lower --max-conns");
            return 1;
        }
        Balancer lb = balancer;
        java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
        // Ctrl-C or SIGTERM: stop the loop and let it close every connection before the JVM exits.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            lb.stop();
            try {
                finished.await(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "high_perf_lb-shutdown"));
        try {
            lb.run();
            log.println("high_perf_lb: stopped");
            return 0;
        } catch (UnsupportedOperationException todo) {
            log.println(notWrittenYet(todo));
            return 1;
        } catch (IOException | RuntimeException e) {
            log.println("high_perf_lb: stopped on error: " + e.getMessage());
            return 1;
        } catch (OutOfMemoryError e) {
            log.println("high_perf_lb: stopped: out of memory (" + e.getMessage() + ")");
            return 1;
        } finally {
            finished.countDown();
        }
    }
}
