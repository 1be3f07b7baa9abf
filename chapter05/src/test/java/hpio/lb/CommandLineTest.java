package hpio.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Bad command lines exit 2 with one line naming the problem, then the usage; start-up failures exit 1. */
class CommandLineTest {
    record Result(int code, String out, String err) {
        String firstErrLine() { return err.lines().findFirst().orElse(""); }
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = HighPerfLb.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "\"\"                                    | Missing required parameters",
            "8080                                    | Missing required parameter",
            "70000 127.0.0.1:9001                    | PORT must be between 1 and 65535, not 70000",
            "0 127.0.0.1:9001                        | PORT must be between 1 and 65535, not 0",
            "eighty 127.0.0.1:9001                   | 'eighty' is not an int",
            "8080 localhost                          | backend 'localhost' is not HOST:PORT or HOST:PORT:WEIGHT",
            "8080 127.0.0.1:                         | port of backend '127.0.0.1:' is not a number",
            "8080 127.0.0.1:99999                    | port of backend '127.0.0.1:99999' must be between 1 and 65535",
            "8080 127.0.0.1:9001:0                   | weight of backend '127.0.0.1:9001:0' must be a positive integer",
            "8080 127.0.0.1:9001:x                   | weight of backend '127.0.0.1:9001:x' is not a number",
            "8080 127.0.0.1:9001 -a fastest          | unknown algorithm 'fastest'",
            "8080 127.0.0.1:9001 -e iouring          | unknown event backend 'iouring'",
            "8080 127.0.0.1:9001 --frobnicate        | Unknown option: '--frobnicate'",
            "8080 127.0.0.1:9001 --threads 0         | --threads must be from 1 to 1024 or auto, not 0",
            "8080 127.0.0.1:9001 --threads -2        | --threads must be from 1 to 1024 or auto, not -2",
            "8080 127.0.0.1:9001 --threads x         | --threads must be a number or auto, not 'x'",
    })
    void aBadCommandLineExitsTwoWithOneLineAndTheUsage(String args, String message) {
        Result r = run(args.isBlank() ? new String[0] : args.trim().split("\\s+"));
        assertThat(r.code).isEqualTo(2);
        assertThat(r.firstErrLine()).startsWith("high_perf_lb: ").contains(message);
        assertThat(r.err).contains("Usage: high_perf_lb");
    }

    @Test
    void aBackendThisOsLacksIsABadCommandLine() {
        String missing = hpio.loop.EventLoops.isAvailable("kqueue") ? "epoll" : "kqueue";
        Result r = run("8080", "127.0.0.1:9001", "-e", missing);
        assertThat(r.code).isEqualTo(2);
        assertThat(r.firstErrLine()).contains("the " + missing + " backend needs");
    }

    @Test
    void helpNamesTheBackendAutoPicks() {
        Result r = run("--help");
        assertThat(r.code).isZero();
        assertThat(r.out).contains("Usage: high_perf_lb").contains("--event-backend")
                .contains("Event Backend: " + hpio.loop.EventLoops.autoName());
    }

    /** The thread count the command line gives the balancer. */
    static int threadsOf(String... args) {
        HighPerfLb app = new HighPerfLb(System.err);
        new picocli.CommandLine(app).parseArgs(args);
        return app.validate().threads();
    }

    @Test
    void threadsDefaultToOneAndAutoIsOnePerProcessor() {
        assertThat(threadsOf("8080", "127.0.0.1:9001")).as("the chapter's single loop").isEqualTo(1);
        assertThat(threadsOf("8080", "127.0.0.1:9001", "--threads", "3")).isEqualTo(3);
        assertThat(threadsOf("8080", "127.0.0.1:9001", "--threads", "auto"))
                .isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(run("--help").out).contains("--threads=N").contains("SO_REUSEPORT")
                .contains("--threads auto is " + Runtime.getRuntime().availableProcessors() + " here");
    }

    /**
     * With SO_REUSEPORT a bind succeeds beside another socket of this user that has it
     * too, so two balancers would share a port and its clients without a word: the
     * balancer first binds without it, which fails with EADDRINUSE there.
     */
    @Test
    void withThreadsAPortSharedByAnotherReusePortSocketIsAStartUpFailure() throws Exception {
        try (java.nio.channels.ServerSocketChannel taken = java.nio.channels.ServerSocketChannel.open()) {
            org.junit.jupiter.api.Assumptions.assumeTrue(
                    taken.supportedOptions().contains(java.net.StandardSocketOptions.SO_REUSEPORT), "no SO_REUSEPORT here");
            taken.setOption(java.net.StandardSocketOptions.SO_REUSEPORT, true);
            taken.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            int port = ((java.net.InetSocketAddress) taken.getLocalAddress()).getPort();
            for (String backend : new String[] {"nio", hpio.loop.EventLoops.autoName()}) {
                Result r = run(String.valueOf(port), "127.0.0.1:9001", "--threads", "2", "-e", backend);
                assertThat(r.code).as(backend).isEqualTo(1);
                assertThat(r.err.lines().count()).as(r.err).isEqualTo(1);
                assertThat(r.firstErrLine()).contains("cannot start").containsAnyOf("EADDRINUSE", "in use");
            }
        }
    }

    @Test
    void helpSaysWhetherIoUringIsAvailableAndIfNotWhy() {
        Result r = run("--help");
        String why = hpio.loop.EventLoops.unavailableReason("io_uring");
        String out = r.out.replaceAll("\\s+", " ");
        if (why == null) assertThat(out).containsPattern("available here: [^)]*io_uring");
        else assertThat(out).contains("io_uring and io_uring-completion are unavailable here: " + why);
    }

    /** The completion path runs one loop and none of the reactor's exercise options: each is refused by name. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--threads 2          | does not take --threads 2",
            "--threads auto       | does not take --threads auto",
            "--splice             | does not take --splice",
            "--edge-triggered     | does not take --edge-triggered",
            "--write-buffer       | does not take --write-buffer",
            "--idle-timeout 5     | does not take --idle-timeout",
            "--graceful           | does not take --graceful",
            "--drain-timeout 3    | does not take --drain-timeout",
    })
    void theCompletionPathRefusesTheReactorsOptions(String option, String message) {
        org.junit.jupiter.api.Assumptions.assumeTrue(hpio.nativeio.LinuxIoUring.unavailableReason() == null,
                "io_uring is unavailable here");
        org.junit.jupiter.api.Assumptions.assumeTrue(!option.equals("--threads auto")
                || Runtime.getRuntime().availableProcessors() > 1, "one processor: auto is 1");
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("8080", "127.0.0.1:9001", "-e",
                "io_uring-completion"));
        args.addAll(java.util.List.of(option.trim().split("\\s+")));
        Result r = run(args.toArray(String[]::new));
        assertThat(r.code).isEqualTo(2);
        assertThat(r.firstErrLine()).startsWith("high_perf_lb: io_uring-completion " + message);
        assertThat(r.err).contains("Usage: high_perf_lb");
    }

    @Test
    void helpListsTheCompletionPath() {
        String out = run("--help").out.replaceAll("\\s+", " ");
        assertThat(out).contains("io_uring-completion: not an event loop but the proactor");
        if (hpio.nativeio.LinuxIoUring.unavailableReason() == null) {
            assertThat(out).containsPattern("available here: [^)]*io_uring-completion");
        }
    }

    @Test
    void aPortInUseIsAStartUpFailureExitingOne() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Result r = run(String.valueOf(taken.getLocalPort()), "127.0.0.1:9001");
            assertThat(r.code).isEqualTo(1);
            assertThat(r.err.lines().count()).as(r.err).isEqualTo(1);
            assertThat(r.firstErrLine()).contains("cannot start").contains("EADDRINUSE");
        }
    }
}
