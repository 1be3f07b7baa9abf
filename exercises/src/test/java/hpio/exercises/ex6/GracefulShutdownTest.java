package hpio.exercises.ex6;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hpio.exercises.Transfers;
import hpio.testing.ChildBalancer;
import hpio.testing.Peers;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Exercise 4: the balancer as a real child process, stopped by real signals. */
@Timeout(90)
@EnabledOnOs({OS.LINUX, OS.MAC, OS.FREEBSD})
class GracefulShutdownTest {

    private static boolean refusesConnections(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return false;
        } catch (ConnectException refused) {
            return true;
        } catch (IOException other) {
            return false;
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
                    digest.update(buf, 0, n);
                    got += n;
                }

                child.sigterm();
                Peers.await("the listener is closed", () -> refusesConnections(port));
                assertThat(child.process.isAlive()).as("still draining: " + child.output).isTrue();

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
                assertThat(got).isEqualTo(payload.length);
                assertThat(digest.digest()).isEqualTo(Transfers.sha256(payload));
            }
            assertThat(child.awaitExit()).as("exit code after the drain: " + child.output).isZero();
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
            Peers.await("draining",
                    () -> child.output.stream().anyMatch(l -> l.contains("draining")));
            child.sigterm();                                               // the second one
            assertThat(child.awaitExit()).as(String.join("\n", child.output)).isNotZero();
            assertThatThrownBy(() -> {
                held.getOutputStream().write('y');
                if (held.getInputStream().read() < 0) throw new IOException("closed");
            }).isInstanceOf(IOException.class);
        }
    }
}
