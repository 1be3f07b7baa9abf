package hpio.lb;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.testing.Peers;
import hpio.testing.RunningBalancer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The completion path's own hard part: a buffer handed to the kernel is the
 * kernel's until its CQE, so a connection closed with operations in flight has
 * them cancelled and gives back its fds and its slot only after their CQEs,
 * losing no byte owed to the other side. Real sockets on loopback; fds are
 * counted in /proc/self/fd.
 */
class CompletionBalancerTest {
    @BeforeAll
    static void onlyWhereIoUringWorks() {
        String reason = hpio.nativeio.LinuxIoUring.unavailableReason();
        if (reason != null) System.out.println("CompletionBalancerTest skipped: " + reason);
        org.junit.jupiter.api.Assumptions.assumeTrue(reason == null, reason);
    }

    private static LbConfig config(Peers.Server backend) {
        return LbConfig.defaults(0, List.of(new LbConfig.UpstreamSpec("127.0.0.1", backend.port(), 1)))
                .withEventBackend(Balancer.COMPLETION);
    }

    private static CompletionBalancer inside(RunningBalancer lb) { return (CompletionBalancer) lb.lb; }

    /** One echo through, so the JDK's own fds (classes, sockets' helpers) are open before counting. */
    private static void warmUp(RunningBalancer lb, Peers.Echo echo) throws IOException {
        try (Socket s = Peers.client(lb.port())) {
            s.getOutputStream().write("warm".getBytes());
            s.shutdownOutput();
            assertThat(new String(s.getInputStream().readAllBytes())).isEqualTo("warm");
        }
        lb.awaitIdle();
        Peers.await("echo server idle", () -> echo.open.get() == 0);
    }

    private static void awaitFdsBackTo(int before) {
        Peers.await("fd count back to " + before, () -> {
            try {
                return LoadBalancerContract.openFds() <= before;
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
    }

    /** A client that sends without end and reads nothing, with a small window; returns the socket, writing. */
    private static Socket stalledClient(int port) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        Thread.ofVirtual().start(() -> {
            byte[] chunk = new byte[64 * 1024];
            try {
                while (true) s.getOutputStream().write(chunk);
            } catch (IOException closed) {
                // by us, or by the balancer
            }
        });
        return s;
    }

    /**
     * The client resets while the balancer has a SEND to it in flight (its window
     * is full) and a SEND to the echo backend too (the backend, blocked writing
     * back, stopped reading). The failed SEND closes the connection: the other
     * operation is cancelled, and only after its CQE are both fds closed. The
     * backend sees its connection end, and no fd is left behind.
     */
    @Test
    void aClientResetWithOperationsInFlightLeavesNoFdAndFreesTheSlot() throws Exception {
        try (Peers.Echo echo = new Peers.Echo(); RunningBalancer lb = new RunningBalancer(config(echo))) {
            warmUp(lb, echo);
            int before = LoadBalancerContract.openFds();
            Socket client = stalledClient(lb.port());
            Peers.await("a short SEND to the client: the rest of it in flight", () -> lb.lb.maxBuffered() > 0);
            assertThat(lb.lb.activeConnections()).isEqualTo(1);
            client.setSoLinger(true, 0);
            client.close();                                       // RST
            lb.awaitIdle();
            Peers.await("the backend's connection is closed too", () -> echo.open.get() == 0);
            awaitFdsBackTo(before);
            assertThat(lb.lb.poolFree()).isEqualTo(lb.lb.poolCapacity());
            assertThat(lb.lb.handlerFailures()).isZero();
            assertThat(inside(lb).loop().staleCompletions()).as("CQEs of a retired slot").isZero();
            assertThat(inside(lb).flows().pooledHeld()).as("pool buffers not given back").isZero();
            lb.assertAlive();
        }
    }

    /** A reset met by the RECV waiting on the client: both sides close, the RECV on the backend is cancelled. */
    @Test
    void aResetDuringARecvClosesBothSides() throws Exception {
        try (Peers.Echo echo = new Peers.Echo(); RunningBalancer lb = new RunningBalancer(config(echo))) {
            warmUp(lb, echo);
            int before = LoadBalancerContract.openFds();
            for (int i = 0; i < 50; i++) {
                Socket s = Peers.client(lb.port());
                s.getOutputStream().write('x');
                assertThat(s.getInputStream().read()).isEqualTo('x');   // open, a RECV waiting on each side
                s.setSoLinger(true, 0);
                s.close();
            }
            lb.awaitIdle();
            Peers.await("the backend's connections are closed too", () -> echo.open.get() == 0);
            awaitFdsBackTo(before);
            lb.assertAlive();
        }
    }

    /**
     * The backend resets while the client, not reading, has part of the reply in a
     * SEND in flight: the slot stays taken while that SEND is out; once the client
     * reads, it gets every byte the balancer read, then a FIN.
     */
    @Test
    void aBackendResetWaitsForTheSendInFlightThenSendsAFin() throws Exception {
        try (java.net.ServerSocket backend = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             Peers.Echo unused = new Peers.Echo();
             RunningBalancer lb = new RunningBalancer(LbConfig.defaults(0, List.of(
                     new LbConfig.UpstreamSpec("127.0.0.1", backend.getLocalPort(), 1))).withEventBackend(Balancer.COMPLETION));
             Socket client = new Socket()) {
            client.setReceiveBufferSize(4096);
            client.connect(new InetSocketAddress("127.0.0.1", lb.port()), 10_000);
            client.getOutputStream().write('?');
            Socket served = backend.accept();
            served.getInputStream().read();
            Thread writer = LoadBalancerContract.writePatternUntilReset(served);
            Peers.await("a SEND to the client in flight", () -> lb.lb.maxBuffered() > 0);
            served.setSoLinger(true, 0);
            served.close();
            writer.join();
            assertThat(lb.lb.poolFree()).as("the slot is not back while its SEND is out").isEqualTo(lb.lb.poolCapacity() - 1);
            client.setSoTimeout((int) Peers.DEADLINE.toMillis());
            long got = LoadBalancerContract.readPattern(client, true);   // in order, then a FIN
            lb.awaitIdle();
            assertThat(got).as("bytes the client got, then a FIN").isEqualTo(lb.lb.bytesToClients()).isPositive();
            assertThat(inside(lb).flows().pooledHeld()).as("pool buffers not given back").isZero();
        }
    }

    /**
     * Shrinks the send buffers of the balancer's two sockets of its one connection
     * (SO_SNDBUF, 16 KiB; the kernel doubles it) once it is open: a 64 KiB SEND is
     * then short, and so is the SEND of its rest, with the next chunk already
     * pending behind it; with the kernel's autotuned buffers the rest nearly
     * always fits at once.
     */
    private static void smallSendBuffers(RunningBalancer lb) {
        Peers.await("the connection open", () -> inside(lb).slots().made() >= 1
                && inside(lb).slots().get(1).state == CompletionConnection.OPEN);
        CompletionConnection c = inside(lb).slots().get(1);
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment cs = hpio.nativeio.Posix.newCallState(arena);
            java.lang.foreign.MemorySegment size = arena.allocate(java.lang.foreign.ValueLayout.JAVA_INT);
            size.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, 16 * 1024);
            for (int fd : new int[] {c.clientFd, c.backendFd}) {
                assertThat(hpio.nativeio.Posix.setsockopt(cs, fd, hpio.nativeio.Posix.SOL_SOCKET, SO_SNDBUF, size, 4))
                        .as("setsockopt(SO_SNDBUF) of fd " + fd).isZero();
            }
        }
    }

    private static final int SO_SNDBUF = 7;                       // Linux's; io_uring is Linux's only

    /**
     * An echo backend that reads in small pieces of varying size through a small
     * window, and stops now and then: the balancer's SENDs to it are short, and
     * the next chunk waits behind them.
     */
    private static final class SlowEcho extends Peers.Server {
        SlowEcho() throws IOException { super(0); }

        @Override
        protected void serve(Socket s) throws IOException {
            s.setReceiveBufferSize(64 * 1024);                   // no autotuning: the window stays small
            var in = s.getInputStream();
            var out = s.getOutputStream();
            Random random = new Random(7);
            byte[] buf = new byte[4096];
            long total = 0;
            for (int n; (n = in.read(buf, 0, 1 + random.nextInt(buf.length))) > 0; ) {
                out.write(buf, 0, n);
                if ((total += n) % (1 << 20) < n) sleepQuietly();   // a pause each MiB
            }
            s.shutdownOutput();
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * 32 MiB each way through a backend and a client that both read slowly in
     * small pieces: short SENDs with a chunk pending behind them, both ways, all
     * the time. Every byte arrives, in order (compared where it lands), then the
     * FIN; a chunk did wait behind a SEND in flight (more than one buffer's worth
     * held by a direction at once), and every pool buffer comes back.
     */
    @Test
    void thirtyTwoMebibytesThroughSlowReadersArriveInOrderWithChunksPending() throws Exception {
        byte[] payload = new byte[32 << 20];
        new Random(32).nextBytes(payload);
        try (SlowEcho backend = new SlowEcho(); RunningBalancer lb = new RunningBalancer(config(backend));
             Socket s = new Socket()) {
            s.setReceiveBufferSize(64 * 1024);
            s.connect(new InetSocketAddress("127.0.0.1", lb.port()), 10_000);
            s.setSoTimeout((int) Peers.DEADLINE.toMillis());
            smallSendBuffers(lb);
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    for (int at = 0; at < payload.length; at += 64 * 1024) s.getOutputStream().write(payload, at, 64 * 1024);
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            byte[] buf = new byte[1500];
            int got = 0;
            for (int n; (n = s.getInputStream().read(buf)) > 0; got += n) {
                assertThat(got + n).as("bytes echoed").isLessThanOrEqualTo(payload.length);
                int wrong = java.util.Arrays.mismatch(buf, 0, n, payload, got, got + n);
                assertThat(wrong).as("first byte out of place, at offset %d of the stream", got + wrong).isEqualTo(-1);
                if (got % (1 << 20) < n) sleepQuietly();
            }
            writer.join();
            assertThat(got).as("bytes echoed, then a FIN").isEqualTo(payload.length);
            lb.awaitIdle();
            assertThat(lb.lb.bytesToBackends()).isEqualTo(payload.length);
            assertThat(lb.lb.bytesToClients()).isEqualTo(payload.length);
            assertThat(lb.lb.maxBuffered()).as("bytes held by a direction: a chunk pending behind a SEND")
                    .isGreaterThan(CompletionBalancer.BUFFER_SIZE);
            assertThat(inside(lb).flows().pooledHeld()).as("pool buffers not given back").isZero();
            lb.assertAlive();
        }
    }

    /**
     * The backend resets while the client, not reading, has a SEND in flight and
     * a chunk pending behind it (two pool buffers held by that direction): once
     * the client reads, it gets every byte the balancer read, in order, the
     * pending chunk included, then a FIN (not a reset).
     */
    @Test
    void aBackendResetWithAChunkPendingDeliversItThenAFin() throws Exception {
        try (java.net.ServerSocket backend = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             RunningBalancer lb = new RunningBalancer(LbConfig.defaults(0, List.of(
                     new LbConfig.UpstreamSpec("127.0.0.1", backend.getLocalPort(), 1))).withEventBackend(Balancer.COMPLETION));
             Socket client = new Socket()) {
            client.setReceiveBufferSize(4096);
            client.connect(new InetSocketAddress("127.0.0.1", lb.port()), 10_000);
            client.getOutputStream().write('?');
            Socket served = backend.accept();
            served.getInputStream().read();
            smallSendBuffers(lb);
            Thread writer = LoadBalancerContract.writePatternUntilReset(served);
            Peers.await("a SEND to the client in flight and a chunk pending", () -> inside(lb).flows().pooledHeld() == 2);
            served.setSoLinger(true, 0);
            served.close();
            writer.join();
            client.setSoTimeout((int) Peers.DEADLINE.toMillis());
            long got = LoadBalancerContract.readPattern(client, true);   // in order, then a FIN
            lb.awaitIdle();
            assertThat(got).as("bytes the client got, then a FIN").isEqualTo(lb.lb.bytesToClients())
                    .isGreaterThan(CompletionBalancer.BUFFER_SIZE);
            assertThat(inside(lb).flows().pooledHeld()).as("pool buffers not given back").isZero();
            lb.assertAlive();
        }
    }

    /** stop() while a SEND waits on a client that does not read: it is cancelled, and every fd closes. */
    @Test
    void stopDuringASendClosesEveryFd() throws Exception {
        try (Peers.Echo echo = new Peers.Echo()) {
            try (RunningBalancer warm = new RunningBalancer(config(echo))) {
                warmUp(warm, echo);
            }
            int before = LoadBalancerContract.openFds();
            Socket client;
            RunningBalancer lb = new RunningBalancer(config(echo));
            try {
                client = stalledClient(lb.port());
                Peers.await("a SEND to the client in flight", () -> lb.lb.maxBuffered() > 0);
            } finally {
                lb.close();                                           // stop, and wait for run() to end
            }
            assertThat(lb.log()).doesNotContain("still in flight");
            Peers.await("the backend's connection is closed", () -> echo.open.get() == 0);
            client.close();
            awaitFdsBackTo(before);
        }
    }

    /**
     * A backend that never answers the SYN (its accept queue is full): the
     * CONNECT's linked timeout cancels it, the backend is marked down, and the
     * client is served by the next one.
     */
    @Test
    void aConnectTimeoutMarksTheBackendDownAndTheNextServes() throws Exception {
        List<Socket> fillers = new java.util.ArrayList<>();
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             Peers.Echo echo = new Peers.Echo()) {
            for (int i = 0; i < 4; i++) {
                Socket s = new Socket();
                try {
                    s.connect(new InetSocketAddress("127.0.0.1", silent.getLocalPort()), 200);
                } catch (IOException full) {
                    // the queue is full: what the balancer's connect meets
                }
                fillers.add(s);
            }
            LbConfig cfg = LbConfig.defaults(0, List.of(new LbConfig.UpstreamSpec("127.0.0.1", silent.getLocalPort(), 1),
                    new LbConfig.UpstreamSpec("127.0.0.1", echo.port(), 1)))
                    .withEventBackend(Balancer.COMPLETION).withTimeouts(300, 10);
            try (RunningBalancer lb = new RunningBalancer(cfg); Socket s = Peers.client(lb.port())) {
                s.getOutputStream().write("served".getBytes());
                s.shutdownOutput();
                assertThat(new String(s.getInputStream().readAllBytes())).isEqualTo("served");
                assertThat(lb.lb.upstreams().get(0).failures()).isEqualTo(1);
                assertThat(lb.log()).contains("connect timed out after 300 ms").contains("skipping it for 10 s");
            }
        } finally {
            for (Socket s : fillers) s.close();
        }
    }

    /**
     * A shared pool of two buffers under 32 concurrent transfers: the kernel finds
     * it empty (-ENOBUFS) and those slots get buffers of their own; every byte still
     * arrives, and every pooled buffer comes back.
     */
    @Test
    void anEmptyPoolGivesSlotsBuffersOfTheirOwnAndLosesNoByte() throws Exception {
        System.setProperty("hpio.completion.buffers", "2");
        RunningBalancer started;
        Peers.Echo echo = new Peers.Echo();
        try {
            started = new RunningBalancer(config(echo));
        } finally {
            System.clearProperty("hpio.completion.buffers");
        }
        try (echo; RunningBalancer lb = started;
             java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            assertThat(lb.log()).contains("a shared pool of up to 2 buffers");
            Random random = new Random(3);
            List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 32; i++) {
                byte[] payload = new byte[1 + random.nextInt(2 << 20)];
                random.nextBytes(payload);
                byte[] expected = MessageDigest.getInstance("SHA-256").digest(payload);
                results.add(pool.submit(() ->
                        MessageDigest.isEqual(expected, LoadBalancerContract.echoThrough(lb.port(), payload, false))));
            }
            for (var r : results) assertThat(r.get()).as("SHA-256 of the echo").isTrue();
            lb.awaitIdle();
            assertThat(inside(lb).slots().ownBuffersMade()).as("buffers made when the pool ran dry").isPositive();
            assertThat(inside(lb).flows().pooledHeld()).as("pool buffers not given back").isZero();
            lb.assertAlive();
        }
    }

    /**
     * The pool lends the kernel 16 buffers at first and more as it runs dry: 24
     * clients that do not read each hold at least one (the end of a reply in a
     * SEND in flight), so it must grow past 16, and no slot needs buffers of its
     * own. Once they are gone, every buffer is back.
     */
    @Test
    void theSharedPoolGrowsWithTheBytesHeld() throws Exception {
        try (Peers.Echo echo = new Peers.Echo(); RunningBalancer lb = new RunningBalancer(config(echo))) {
            assertThat(inside(lb).pool().lent()).as("buffers lent at first").isEqualTo(CompletionFlows.POOL_STEP);
            List<Socket> stalled = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 24; i++) stalled.add(stalledClient(lb.port()));
                Peers.await("24 buffers held at once", () -> inside(lb).flows().pooledHeld() >= 24);
                assertThat(inside(lb).pool().lent()).as("buffers lent").isGreaterThan(CompletionFlows.POOL_STEP);
                assertThat(inside(lb).slots().ownBuffersMade()).as("slots with buffers of their own").isZero();
            } finally {
                for (Socket s : stalled) s.close();
            }
            lb.awaitIdle();
            assertThat(inside(lb).flows().pooledHeld()).as("pool buffers not given back").isZero();
        }
    }

    /**
     * Half-close: the client sends 4 MiB and its FIN. The FIN is passed on only
     * after the last SEND of those bytes has completed, so the backend, which
     * answers at EOF, counts all of them; its 3 MiB reply then still reaches the
     * client, whose sending side is already shut.
     */
    @Test
    void halfCloseReachesTheBackendAfterTheLastByteAndTheReplyStillComesBack() throws Exception {
        int upload = 4 << 20, reply = 3 << 20;
        try (Peers.ReplyAfterEof backend = new Peers.ReplyAfterEof(reply);
             RunningBalancer lb = new RunningBalancer(config(backend));
             Socket s = Peers.client(lb.port())) {
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    s.getOutputStream().write(new byte[upload]);
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            byte[] got = s.getInputStream().readAllBytes();
            writer.join();
            assertThat(got).hasSize(reply);
            String head = "received " + upload + " bytes\n";
            assertThat(new String(got, 0, head.length(), java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo(head);
            lb.awaitIdle();
        }
    }

    /** 16 MiB each way through one connection, checked by SHA-256. */
    @Test
    void sixteenMebibytesEachWayArriveByteExact() throws Exception {
        try (Peers.Echo echo = new Peers.Echo(); RunningBalancer lb = new RunningBalancer(config(echo))) {
            byte[] payload = new byte[16 << 20];
            new Random(16).nextBytes(payload);
            byte[] expected = MessageDigest.getInstance("SHA-256").digest(payload);
            assertThat(LoadBalancerContract.echoThrough(lb.port(), payload, false)).isEqualTo(expected);
            lb.awaitIdle();
            assertThat(lb.lb.bytesToBackends()).isEqualTo(payload.length);
            assertThat(lb.lb.bytesToClients()).isEqualTo(payload.length);
        }
    }

    /** The options that are the reactor's are refused when a Balancer is opened with exercise hooks. */
    @Test
    void exerciseHooksAreRefused() throws Exception {
        try (Peers.Echo echo = new Peers.Echo()) {
            Hooks hooks = new Hooks(hpio.lb.hooks.ReadPolicy.LEVEL_TRIGGERED, LoadBalancerContract.HoldsEverything::new,
                    null, null, "a test", "");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new RunningBalancer(config(echo), hooks))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exercise hooks");
        }
    }

    /**
     * Steady state allocates nothing on the loop's thread: 20,000 round trips on
     * ten keep-alive connections (80,000 operations, as many CQEs) after a warm-up.
     * One object per operation would be more than a megabyte; measured: 0 bytes.
     */
    @Test
    void steadyStateAllocatesNothingPerOperation() throws Exception {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (Peers.Echo echo = new Peers.Echo(); RunningBalancer lb = new RunningBalancer(config(echo))) {
            List<Socket> clients = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 10; i++) clients.add(Peers.client(lb.port()));
                // Warm-up: slots, classes, and the JIT (FFM downcalls box their arguments until compiled).
                roundTrips(clients, 3000);
                long before = threads.getThreadAllocatedBytes(lb.thread().threadId());
                roundTrips(clients, 2000);
                long allocated = threads.getThreadAllocatedBytes(lb.thread().threadId()) - before;
                assertThat(allocated).as("bytes allocated by the loop's thread for 80,000 operations")
                        .isLessThan(64 * 1024);
            } finally {
                for (Socket s : clients) s.close();
            }
        }
    }

    private static void roundTrips(List<Socket> clients, int each) throws IOException {
        byte[] request = new byte[100], reply = new byte[100];
        for (int i = 0; i < each; i++) {
            for (Socket s : clients) s.getOutputStream().write(request);
            for (Socket s : clients) assertThat(s.getInputStream().readNBytes(reply, 0, 100)).isEqualTo(100);
        }
    }
}
