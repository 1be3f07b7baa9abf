package hpio.lb;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.lb.hooks.Drain;
import hpio.lb.hooks.ReadPolicy;
import hpio.lb.hooks.ShutdownControl;
import hpio.testing.Peers;
import hpio.testing.RunningBalancer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * {@code --threads 2} beyond the contract: the kernel really spreads the clients
 * over both loops (SO_REUSEPORT), what one loop learns of a backend's health the
 * other uses, and a drain covers both loops. Linux only: macOS's SO_REUSEPORT does
 * not spread, so "both loops got clients" cannot hold there.
 */
@EnabledOnOs(OS.LINUX)
class ThreadsTest {
    static LbConfig config(String... upstreams) {
        List<LbConfig.UpstreamSpec> specs = new ArrayList<>();
        for (String u : upstreams) {
            String[] p = u.split(":");
            specs.add(new LbConfig.UpstreamSpec(p[0], Integer.parseInt(p[1]), 1));
        }
        return LbConfig.defaults(0, specs).withEventBackend("epoll").withThreads(2);
    }

    /** One byte through the balancer and back: the connection is established end to end. */
    static Socket echoed(int port, int b) throws IOException {
        Socket s = Peers.client(port);
        s.getOutputStream().write(b);
        assertThat(s.getInputStream().read()).isEqualTo(b);
        return s;
    }

    @Test
    void theKernelSpreadsClientsOverBothLoops() throws Exception {
        try (Peers.Echo echo = new Peers.Echo(); RunningBalancer lb = new RunningBalancer(config(echo.spec()))) {
            for (int i = 0; i < 64; i++) echoed(lb.port(), i).close();
            long[] perLoop = lb.reactor().clientsPerLoop();
            // The hash of 64 different client ports puts all on one loop with probability 2^-63.
            assertThat(perLoop).as("clients per loop").hasSize(2).doesNotContain(0L);
            assertThat(perLoop[0] + perLoop[1]).isEqualTo(64);
            assertThat(lb.lb.statusLine()).contains("clients per loop " + perLoop[0] + " " + perLoop[1]);
            lb.awaitIdle();
        }
    }

    @Test
    void aBackendOneLoopFoundDeadIsSkippedByTheOther() throws Exception {
        int dead = Peers.deadPort();
        try (Peers.Echo alive = new Peers.Echo();
             RunningBalancer lb = new RunningBalancer(config("127.0.0.1:" + dead, alive.spec()))) {
            for (int i = 0; i < 40; i++) echoed(lb.port(), i).close();
            assertThat(lb.reactor().clientsPerLoop()).as("clients per loop").doesNotContain(0L);
            // Whichever loop tried it first marked it down; the other never tried it.
            assertThat(lb.lb.upstreams().get(0).failures()).as("connects tried on the dead backend").isEqualTo(1);
            assertThat(lb.lb.upstreams().get(1).served()).isEqualTo(40);
            lb.awaitIdle();
        }
    }

    /** Exercise 6's shape, written here so that chapter05 tests it without the exercise kit. */
    static final class Signalled implements ShutdownControl {
        final AtomicBoolean signal = new AtomicBoolean();
        volatile Runnable wake;
        boolean draining;

        @Override public void install(Runnable wakeLoop) { wake = wakeLoop; }

        @Override public void onTurn(Drain drain) {
            if (!signal.get()) return;
            if (!draining) {
                draining = true;
                drain.acceptPending();
                drain.closeListener();
            }
            if (drain.activeConnections() == 0) drain.exit("drained: every connection finished");
        }

        void raise() {
            signal.set(true);
            wake.run();
        }
    }

    @Test
    void aDrainClosesEveryLoopsListenerAndWaitsForEveryLoopsConnections() throws Exception {
        Signalled control = new Signalled();
        Hooks hooks = new Hooks(ReadPolicy.LEVEL_TRIGGERED, null, null, control, "this test", "");
        List<Socket> held = new ArrayList<>();
        try (Peers.Echo echo = new Peers.Echo(); RunningBalancer lb = new RunningBalancer(config(echo.spec()), hooks)) {
            int port = lb.port();
            try {
                while (held.size() < 200 && !(lb.reactor().clientsPerLoop()[0] > 0 && lb.reactor().clientsPerLoop()[1] > 0)) {
                    held.add(echoed(port, 'x'));
                }
                assertThat(lb.reactor().clientsPerLoop()).as("clients held on each loop").doesNotContain(0L);
                control.raise();
                Peers.await("the drain has closed every loop's listener", () -> lb.log().contains("draining"));
                assertThat(lb.log()).contains("listener closed, " + held.size() + " connection(s) in flight");
                for (int i = 0; i < 20; i++) {
                    try (Socket s = new Socket("127.0.0.1", port)) {
                        throw new AssertionError("a client connected during the drain (try " + i + ")");
                    } catch (ConnectException refused) {
                        // no loop listens any more
                    }
                }
                for (Socket s : held) {                      // those in flight, on both loops, still served
                    s.getOutputStream().write('y');
                    assertThat(s.getInputStream().read()).isEqualTo('y');
                }
                assertThat(lb.running()).as("running while connections are in flight").isTrue();
            } finally {
                for (Socket s : held) s.close();
            }
            Peers.await("the drain ends with the last connection, on either loop", () -> !lb.running());
            assertThat(lb.log()).contains("drained: every connection finished");
        }
    }

    /** A start that fails after the loops are made (here exercise 6's install) closes every loop: the port is free. */
    @Test
    void aStartThatFailsLeavesNoLoopListening() throws Exception {
        ShutdownControl broken = new ShutdownControl() {
            @Override public void install(Runnable wakeLoop) { throw new IllegalStateException("install broke"); }

            @Override public void onTurn(Drain drain) { }
        };
        Hooks hooks = new Hooks(ReadPolicy.LEVEL_TRIGGERED, null, null, broken, "this test", "");
        int port = Peers.deadPort();
        LbConfig cfg = LbConfig.defaults(port, config("127.0.0.1:9").upstreams()).withEventBackend("epoll").withThreads(2);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new LoadBalancer(cfg, hooks,
                        hpio.net.OpenFiles.raiseSoftToHard(), new java.io.PrintStream(java.io.OutputStream.nullOutputStream())))
                .hasMessage("install broke");
        // A plain bind (no SO_REUSEPORT) fails with EADDRINUSE while any of the two listeners is left open.
        try (java.net.ServerSocket again = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertThat(again.getLocalPort()).isEqualTo(port);
        }
    }
}
