package hpio.lb;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.testing.ChildBalancer;
import hpio.testing.Peers;
import hpio.testing.RunningBalancer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code --splice} on its own: that the bytes really go through pipes, that a pipe's
 * bytes are part of the flow (back-pressure, half-close after them, a reset), and
 * that pipes are neither lost nor kept beyond the pool's bound.
 */
class SpliceTest {
    static final int PIPE = 64 * 1024;

    static LbConfig spliced(String backend, String... upstreams) {
        List<LbConfig.UpstreamSpec> specs = new java.util.ArrayList<>();
        for (String u : upstreams) {
            String[] p = u.split(":");
            specs.add(new LbConfig.UpstreamSpec(p[0], Integer.parseInt(p[1]), 1));
        }
        return LbConfig.defaults(0, specs).withEventBackend(backend).withSplice(PIPE);
    }

    /** The one connection open in a balancer that serves one client (null until it is accepted and connected). */
    static Connection openConnection(RunningBalancer lb) {
        for (int i = 0; i < lb.reactor().pool().made(); i++) {
            Connection c = lb.reactor().pool().get(i);
            if (c != null && c.state == Connection.OPEN) return c;
        }
        return null;
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Both ways (an echo), byte-exact by SHA-256, and every byte through a pipe: none copied. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "poll", "select", "io_uring"})
    @EnabledOnOs(OS.LINUX)
    void aLargeTransferIsByteExactBothWaysAndSpliced(String backend) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(hpio.loop.EventLoops.isAvailable(backend),
                () -> backend + " is not available here: " + hpio.loop.EventLoops.unavailableReason(backend));
        int size = backend.equals("epoll") ? 64 << 20 : 8 << 20;   // the big one once; the other loops shorter
        byte[] payload = random(size, 64);
        try (Peers.Echo echo = new Peers.Echo(); RunningBalancer lb = new RunningBalancer(spliced(backend, echo.spec()))) {
            byte[] got = LoadBalancerContract.echoThrough(lb.port(), payload, false);
            assertThat(got).as("SHA-256 of %d bytes echoed through the balancer", size)
                    .isEqualTo(LoadBalancerContract.sha256(payload));
            lb.awaitIdle();
            assertThat(lb.reactor().forwarder().splicer().splicedBytes()).as("bytes through a pipe, both ways").isEqualTo(2L * size);
            assertThat(lb.lb.maxBuffered()).as("bytes held in user space").isZero();
            assertThat(lb.reactor().forwarder().splicer().pipesOpen()).isBetween(1, 2);
            lb.assertAlive();
        }
    }

    /** With --threads 2 each loop has its own pipes (and its share of the pool): every byte still arrives. */
    @Test
    @EnabledOnOs(OS.LINUX)
    void twoLoopsSpliceEveryByte() throws Exception {
        try (Peers.Echo echo = new Peers.Echo();
             RunningBalancer lb = new RunningBalancer(spliced("epoll", echo.spec()).withThreads(2));
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Boolean>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                byte[] payload = random(4 << 20, 100 + i);
                byte[] expected = LoadBalancerContract.sha256(payload);
                boolean slowReader = i % 2 == 0;
                results.add(pool.submit(() -> MessageDigest.isEqual(expected,
                        LoadBalancerContract.echoThrough(lb.port(), payload, slowReader))));
            }
            for (Future<Boolean> r : results) assertThat(r.get()).as("SHA-256 of the echo").isTrue();
            lb.assertAlive();
        }
    }

    /**
     * An edge-triggered read policy (exercise 3's kind, drained to AGAIN) over the
     * spliced pumps: a pump that stopped early would leave bytes no edge announces.
     */
    @Test
    @EnabledOnOs(OS.LINUX)
    void edgeTriggeredPumpsSpliceEveryByte() throws Exception {
        hpio.lb.hooks.ReadPolicy drainToAgain = new hpio.lb.hooks.ReadPolicy() {
            @Override public int registrationFlags() { return hpio.loop.Events.EDGE; }

            @Override public void onAcceptable(hpio.lb.hooks.Acceptor acceptor) throws IOException {
                while (acceptor.acceptOne()) {
                    // until the listen queue is empty: no second edge comes for the clients behind
                }
            }

            @Override public void onReadable(hpio.lb.hooks.Pump pump) {
                while (pump.pumpOnce() > 0) {
                    // until AGAIN, EOF, PAUSED or CLOSED
                }
            }
        };
        byte[] payload = random(16 << 20, 3);
        try (Peers.Echo echo = new Peers.Echo();
             RunningBalancer lb = new RunningBalancer(spliced("epoll", echo.spec()),
                     new Hooks(drainToAgain, null, null, null, "this test", "edge-triggered"))) {
            assertThat(LoadBalancerContract.echoThrough(lb.port(), payload, true))
                    .isEqualTo(LoadBalancerContract.sha256(payload));
            lb.awaitIdle();
            assertThat(lb.reactor().forwarder().splicer().splicedBytes()).isEqualTo(2L * payload.length);
        }
    }

    /**
     * A client that writes and does not read: its echo fills the pipe toward it, so the
     * balancer stops reading the backend, the backend stops reading, the pipe toward
     * it fills, and the client's writes stop. What the balancer holds meanwhile is one
     * pipe each way, no more; then the client reads, and gets every byte in order.
     */
    @Test
    @EnabledOnOs(OS.LINUX)
    void aReaderThatDoesNotReadStopsTheSenderAndTheBalancerHoldsOnePipeEachWay() throws Exception {
        int size = 64 << 20;
        byte[] payload = random(size, 7);
        try (Peers.Echo echo = new Peers.Echo();
             RunningBalancer lb = new RunningBalancer(spliced("epoll", echo.spec()));
             Socket s = Peers.client(lb.port())) {
            AtomicLong written = new AtomicLong();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    for (int off = 0; off < size; off += 64 * 1024) {
                        out.write(payload, off, 64 * 1024);
                        written.addAndGet(64 * 1024);
                    }
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Peers.await("both flows paused with bytes in their pipes", () -> {
                Connection o = openConnection(lb);
                return o != null && o.toClient.paused && o.toBackend.paused && o.toClient.piped > 0
                        && o.toBackend.piped > 0;
            });
            Connection c = openConnection(lb);
            // The kernel's socket buffers hold a few MiB at most: 64 MiB cannot all be written yet.
            assertThat(written.get()).as("bytes the client could write while nobody reads").isLessThan(size);
            assertThat(c.toClient.piped).isLessThanOrEqualTo(c.toClient.pipe.capacity());
            assertThat(c.toBackend.piped).isLessThanOrEqualTo(c.toBackend.pipe.capacity());
            assertThat(lb.reactor().forwarder().splicer().pipesOpen()).as("pipes: one per direction").isEqualTo(2);
            assertThat(lb.lb.maxBuffered()).as("bytes held in user space").isZero();

            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0; total += n) digest.update(buf, 0, n);
            writer.join();
            assertThat(total).isEqualTo(size);
            assertThat(digest.digest()).isEqualTo(LoadBalancerContract.sha256(payload));
        }
    }

    /** A backend that reads slowly keeps bytes in the pipe when the client's FIN comes: the FIN waits for them. */
    @Test
    @EnabledOnOs(OS.LINUX)
    void aHalfCloseIsPassedOnOnlyAfterTheBytesInThePipe() throws Exception {
        try (Peers.ReplyAfterEof backend = new Peers.ReplyAfterEof(1 << 20);
             RunningBalancer lb = new RunningBalancer(spliced("epoll", backend.spec()));
             Socket s = Peers.client(lb.port())) {
            int size = 16 << 20;
            s.getOutputStream().write(new byte[size]);      // more than the sockets buffer: the pipe fills on the way
            s.shutdownOutput();
            byte[] reply = s.getInputStream().readAllBytes();
            assertThat(reply).hasSize(1 << 20);
            String head = "received " + size + " bytes\n";
            assertThat(new String(reply, 0, head.length(), StandardCharsets.US_ASCII)).isEqualTo(head);
            lb.awaitIdle();
            assertThat(lb.reactor().forwarder().splicer().splicedBytes()).isEqualTo(size + (1L << 20));
        }
    }

    /**
     * A client that resets while bytes wait in both pipes: the connection goes, the
     * pipes holding bytes are closed (not pooled), and no fd is left behind.
     */
    @Test
    @EnabledOnOs(OS.LINUX)
    void aResetMidTransferClosesTheConnectionAndItsFullPipes() throws Exception {
        try (Peers.Echo echo = new Peers.Echo(); RunningBalancer lb = new RunningBalancer(spliced("epoll", echo.spec()))) {
            Splicer splicer = lb.reactor().forwarder().splicer();
            int before = -1;
            for (int round = 0; round < 6; round++) {
                if (round == 1) {                            // after a first round: the JDK's own fds are open
                    Peers.await("echo server idle", () -> echo.open.get() == 0);
                    before = LoadBalancerContract.openFds() - 2 * splicer.pipesOpen();
                }
                Socket s = Peers.client(lb.port());
                Thread writer = Thread.ofVirtual().start(() -> {
                    try {
                        byte[] chunk = new byte[256 * 1024];
                        while (true) s.getOutputStream().write(chunk);
                    } catch (IOException closed) {
                        // by the reset below
                    }
                });
                Peers.await("bytes wait in both pipes", () -> {
                    Connection c = openConnection(lb);
                    return c != null && c.toClient.piped > 0 && c.toBackend.piped > 0;
                });
                s.setSoLinger(true, 0);
                s.close();                                   // RST, with bytes in flight both ways
                writer.join();
                lb.awaitIdle();
            }
            Peers.await("echo server idle", () -> echo.open.get() == 0);
            assertThat(splicer.pipesOpen()).as("the full pipes were closed; none is held").isLessThanOrEqualTo(2);
            int fdsBefore = before;
            Peers.await("no fd left but the pooled pipes (" + fdKinds(ProcessHandle.current().pid()) + ")", () -> {
                try {
                    return LoadBalancerContract.openFds() <= fdsBefore + 2 * splicer.pipesOpen();
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            try (Socket s = Peers.client(lb.port())) {               // and it still works
                s.getOutputStream().write("after".getBytes());
                s.shutdownOutput();
                assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("after");
            }
            lb.assertAlive();
        }
    }

    /**
     * The fds of the balancer's own process by kind ("socket", "pipe", "anon_inode", ...),
     * but for 0, 1 and 2: its stdio, pipes to the test.
     */
    static java.util.Map<String, Long> fdKinds(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.filter(p -> Integer.parseInt(p.getFileName().toString()) > 2).map(p -> {
                try {
                    String target = Files.readSymbolicLink(p).toString();
                    int colon = target.indexOf(':');
                    return colon > 0 ? target.substring(0, colon) : "file";
                } catch (IOException gone) {
                    return "gone";
                }
            }).collect(java.util.stream.Collectors.groupingBy(k -> k, java.util.stream.Collectors.counting()));
        }
    }

    /**
     * In a process of its own, counted from /proc: after 1,000 connections (one in
     * five reset mid-transfer), its sockets are back to what they were, and its
     * pipes are at most the pool's bound.
     */
    @Test
    @EnabledOnOs(OS.LINUX)
    void manyConnectionsLeaveNoFdBehindInTheBalancersProcess() throws Exception {
        try (Peers.Echo echo = new Peers.Echo(); ExecutorService pool = Executors.newFixedThreadPool(8)) {
            int port = Peers.deadPort();            // after the echo server's: not the port it just took
            try (ChildBalancer child = new ChildBalancer(String.valueOf(port), echo.spec(), "-e", "epoll", "--splice",
                    "--max-conns", "64")) {
                child.awaitListening();
                Peers.await("the start-up line about --splice, after 'listening on' (" + child.output + ")",
                        () -> child.output.stream().anyMatch(l -> l.contains("--splice") && l.contains("up to 16 of them")));
                long pid = child.process.pid();
                oneEcho(port, 1000, false);
                Peers.await("echo server idle", () -> echo.open.get() == 0);
                long socketsBefore = fdKinds(pid).getOrDefault("socket", 0L);
                List<Future<?>> all = new java.util.ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    boolean reset = i % 5 == 0;
                    all.add(pool.submit(() -> oneEcho(port, 256 * 1024, reset)));
                }
                for (Future<?> f : all) f.get();
                Peers.await("echo server idle", () -> echo.open.get() == 0);
                Peers.await("the balancer's sockets back to " + socketsBefore, () -> {
                    try {
                        return fdKinds(pid).getOrDefault("socket", 0L) <= socketsBefore;
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                });
                long pipes = fdKinds(pid).getOrDefault("pipe", 0L);
                assertThat(pipes).as("pipe fds in the balancer (%s)", fdKinds(pid)).isBetween(2L, 2L * 16);
            }
        }
    }

    private static Void oneEcho(int port, int size, boolean reset) throws IOException {
        try (Socket s = Peers.client(port)) {
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    s.getOutputStream().write(new byte[size]);
                    if (!reset) s.shutdownOutput();
                } catch (IOException e) {
                    // reset below
                }
            });
            if (reset) {
                s.getInputStream().readNBytes(1000);
                s.setSoLinger(true, 0);
                return null;
            }
            assertThat(Peers.countUntilEnd(s)).isEqualTo(size);
            writer.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        return null;
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void spliceOnNioOrWithAWriteBufferIsABadCommandLine() {
        CommandLineTest.Result r = CommandLineTest.run("8080", "127.0.0.1:9001", "-e", "nio", "--splice");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.firstErrLine()).isEqualTo("high_perf_lb: --splice needs a native backend (epoll, poll, select or io_uring):"
                + " nio's channels have no fds to splice");
        r = CommandLineTest.run("8080", "127.0.0.1:9001", "--splice", "--write-buffer");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.firstErrLine()).contains("--splice and --write-buffer do not go together");
        r = CommandLineTest.run("8080", "127.0.0.1:9001", "--splice", "2");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.firstErrLine()).contains("--splice must be from 4 to 1024 KiB, not 2");
    }

    @Test
    @DisabledOnOs(OS.LINUX)
    void spliceOffLinuxIsABadCommandLine() {
        CommandLineTest.Result r = CommandLineTest.run("8080", "127.0.0.1:9001", "--splice");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.firstErrLine()).startsWith("high_perf_lb: --splice needs Linux");
    }
}
