package hpio.exercises.ex6;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import hpio.exercises.Transfers;
import hpio.testing.ChildBalancer;
import hpio.testing.Peers;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Exercise 6, end to end: the balancer as a real child process, stopped by real signals. */
@Timeout(90)
@EnabledOnOs({OS.LINUX, OS.MAC, OS.FREEBSD})
class GracefulShutdownEndToEndTest {

    private static boolean refusesConnections(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return false;
        } catch (ConnectException refused) {
            return true;
        } catch (IOException other) {
            return false;
        }
    }

    private static boolean exitsWithin(ChildBalancer child, int seconds) throws InterruptedException {
        return child.process.waitFor(seconds, TimeUnit.SECONDS);
    }

    @Test
    void clientsWaitingInTheAcceptQueueWhenSigtermArrivesAreServedNotReset() throws Exception {
        int port = Peers.deadPort();
        try (Peers.Echo echo = new Peers.Echo();
             ChildBalancer child = new ChildBalancer(QueueHoldingBalancer.class, String.valueOf(port), echo.spec(),
                     "30")) {
            child.awaitListening();
            Socket[] clients = new Socket[3];
            for (int i = 0; i < clients.length; i++) {
                clients[i] = Peers.client(port);          // connect() returns: the kernel queued it, nobody accepted it
                clients[i].getOutputStream().write('a' + i);
            }
            try {
                child.sigterm();
                for (int i = 0; i < clients.length; i++) {
                    int reply;
                    try {
                        reply = clients[i].getInputStream().read();
                    } catch (IOException e) {
                        throw new AssertionError("client " + (i + 1) + " of 3, waiting in the accept queue when SIGTERM"
                                + " came, got " + e.getMessage() + ": closing a listener resets the clients still in"
                                + " its accept queue; accept them first (output: " + child.output + ")", e);
                    }
                    assertThat(reply).as("client %d of 3, waiting in the accept queue when SIGTERM came, got no"
                            + " echo (EOF): it must be accepted and served before the listener closes (output: %s)",
                            i + 1, child.output).isEqualTo('a' + i);
                }
            } finally {
                for (Socket s : clients) s.close();
            }
            assertThat(exitsWithin(child, 10)).as("still running 10 s after its last connection closed: "
                    + child.output).isTrue();
            assertThat(child.process.exitValue()).as("exit code after the drain: " + child.output).isZero();
        }
    }

    @Test
    void afterSigtermNewConnectsAreRefusedAndTheTransferInFlightCompletes() throws Exception {
        int port = Peers.deadPort();
        byte[] payload = Transfers.randomBytes(8 * 1024 * 1024, 4);
        try (Peers.Echo echo = new Peers.Echo();
             ChildBalancer child = new ChildBalancer(String.valueOf(port), echo.spec(), "--drain-timeout", "30")) {
            child.awaitListening();
            try (Socket s = Peers.client(port)) {
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                byte[] buf = new byte[64 * 1024];
                out.write(payload, 0, 1024 * 1024);                  // the first MiB, echoed back
                long got = 0;
                while (got < 1024 * 1024) {
                    int n = in.read(buf);
                    if (n < 0) fail("the connection closed after " + got + " bytes, before SIGTERM: " + child.output);
                    digest.update(buf, 0, n);
                    got += n;
                }

                child.sigterm();
                Peers.await("the listener is closed after SIGTERM (output: " + child.output + ")",
                        () -> refusesConnections(port));
                assertThat(child.process.isAlive()).as("exited with a transfer in flight: " + child.output).isTrue();

                Thread writer = Thread.ofVirtual().start(() -> {       // the other 7 MiB
                    try {
                        out.write(payload, 1024 * 1024, payload.length - 1024 * 1024);
                        s.shutdownOutput();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                int n;
                while ((n = in.read(buf)) > 0) {
                    digest.update(buf, 0, n);
                    got += n;
                }
                writer.join();
                assertThat(got).as("bytes echoed, the drain letting the transfer finish").isEqualTo(payload.length);
                assertThat(digest.digest()).isEqualTo(Transfers.sha256(payload));
            }
            assertThat(exitsWithin(child, 10)).as("still running 10 s after its last connection closed: "
                    + child.output).isTrue();
            assertThat(child.process.exitValue()).as("exit code after the drain: " + child.output).isZero();
        }
    }

    /**
     * With two loops ({@code --threads 2}) your one ShutdownControl drains both: the
     * listening socket of each loop closes (else the kernel would still hand new
     * clients to the other loop), and the run ends only when both loops' clients are done.
     */
    @Test
    void withTwoLoopsTheDrainClosesBothListenersAndWaitsForBothLoopsClients() throws Exception {
        int port = Peers.deadPort();
        Socket[] held = new Socket[16];                      // all 16 on one loop: a chance of 2^-15
        try (Peers.Echo echo = new Peers.Echo();
             ChildBalancer child = new ChildBalancer(String.valueOf(port), echo.spec(), "--graceful",
                     "--threads", "2")) {
            child.awaitListening();
            try {
                for (int i = 0; i < held.length; i++) {
                    held[i] = Peers.client(port);
                    held[i].getOutputStream().write('x');
                    assertThat(held[i].getInputStream().read()).isEqualTo('x');
                }
                child.sigterm();
                Peers.await("both loops' listeners closed after SIGTERM (output: " + child.output + ")",
                        () -> refusesConnections(port));
                for (int i = 0; i < 20; i++) {
                    assertThat(refusesConnections(port)).as("a new client refused (try %d): a loop still listens,"
                            + " output: %s", i, child.output).isTrue();
                }
                // At least the 16 held, on both loops (a probe above that connected while one loop
                // still listened is accepted and counted too).
                java.util.regex.Pattern inFlight = java.util.regex.Pattern.compile("listener closed, (\\d+) connection");
                Peers.await("the clients in flight counted over both loops: 'listener closed, 16 (or more)"
                        + " connection(s) in flight' (output: " + child.output + ")", () -> child.output.stream()
                        .map(inFlight::matcher).anyMatch(m -> m.find() && Integer.parseInt(m.group(1)) >= 16));
                for (Socket s : held) {
                    s.getOutputStream().write('y');
                    assertThat(s.getInputStream().read()).as("served during the drain").isEqualTo('y');
                }
                assertThat(child.process.isAlive()).as("exited with clients in flight: " + child.output).isTrue();
            } finally {
                for (Socket s : held) if (s != null) s.close();
            }
            assertThat(exitsWithin(child, 10)).as("still running 10 s after its last connection closed: "
                    + child.output).isTrue();
            assertThat(child.process.exitValue()).as("exit code after the drain: " + child.output).isZero();
        }
    }

    @Test
    void theDrainTimeoutClosesAConnectionThatNeverFinishes() throws Exception {
        int port = Peers.deadPort();
        try (Peers.Echo echo = new Peers.Echo();
             ChildBalancer child = new ChildBalancer(String.valueOf(port), echo.spec(), "--drain-timeout", "1");
             Socket held = Peers.client(child.awaitListening() == null ? 0 : port)) {
            held.getOutputStream().write('x');
            assertThat(held.getInputStream().read()).isEqualTo('x');       // in flight, and it never ends
            child.sigterm();
            assertThat(exitsWithin(child, 10)).as("still running 10 s after SIGTERM with --drain-timeout 1 and a"
                    + " connection that never finishes: the drain has no deadline (output: %s)", child.output)
                    .isTrue();
            child.awaitExit();                                             // and its output read to the end
            assertThat(child.output).as("the balancer's output").anyMatch(
                    l -> l.contains("drain timeout: closing 1 connection(s)"));
            assertThat(Peers.readAll(held)).as("the connection left at the deadline is closed").isEmpty();
        }
    }

    @Test
    void aSecondSignalExitsAtOnce() throws Exception {
        int port = Peers.deadPort();
        try (Peers.Echo echo = new Peers.Echo();
             ChildBalancer child = new ChildBalancer(String.valueOf(port), echo.spec(), "--graceful");
             Socket held = Peers.client(child.awaitListening() == null ? 0 : port)) {
            held.getOutputStream().write('x');
            assertThat(held.getInputStream().read()).isEqualTo('x');       // in flight, and it stays open
            child.sigterm();
            Peers.await("the drain begins: 'draining: listener closed' (output: " + child.output + ")",
                    () -> child.output.stream().anyMatch(l -> l.contains("draining: listener closed")));
            child.sigterm();                                               // the second one
            assertThat(exitsWithin(child, 10)).as("still running 10 s after a second SIGTERM: " + child.output)
                    .isTrue();
            assertThat(child.process.exitValue()).as("exit code after a second signal (not a clean drain): "
                    + child.output).isNotZero();
            assertThatThrownBy(() -> {
                held.getOutputStream().write('y');
                if (held.getInputStream().read() < 0) throw new IOException("closed");
            }).as("the connection in flight is gone with the process").isInstanceOf(IOException.class);
        }
    }
}
