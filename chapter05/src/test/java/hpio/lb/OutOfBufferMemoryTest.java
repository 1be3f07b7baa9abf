package hpio.lb;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.testing.ChildBalancer;
import hpio.testing.Peers;
import java.net.Socket;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Off-heap buffers have a budget. When a short write's leftover finds none left,
 * that connection is closed and the balancer goes on serving the others.
 */
class OutOfBufferMemoryTest {
    @Test
    void aConnectionThatCannotBeBufferedIsClosedAndTheBalancerLivesOn() throws Exception {
        int port = Peers.deadPort();
        // Room for the start-up buffers (one 64 KiB read buffer and small ones), not for a leftover.
        try (Peers.Echo echo = new Peers.Echo();
             ChildBalancer child = new ChildBalancer(List.of("-XX:MaxDirectMemorySize=100k"),
                     String.valueOf(port), echo.spec())) {
            child.awaitListening();
            try (Socket greedy = Peers.client(port)) {
                greedy.setReceiveBufferSize(4096);
                // 8 MiB echoed to a client that reads nothing: a write to it comes up short.
                Thread.ofVirtual().start(() -> {
                    try {
                        greedy.getOutputStream().write(new byte[8 * 1024 * 1024]);
                    } catch (java.io.IOException closed) {
                        // expected once the balancer gives up on this connection
                    }
                });
                Peers.await("the balancer reports it is out of buffer memory",
                        () -> child.output.stream().anyMatch(l -> l.contains("out of buffer memory")));
            }
            try (Socket s = Peers.client(port)) {
                s.getOutputStream().write("still here".getBytes());
                s.shutdownOutput();
                assertThat(new String(s.getInputStream().readAllBytes())).isEqualTo("still here");
            }
            assertThat(child.process.isAlive()).as(String.join("\n", child.output)).isTrue();
        }
    }
}
