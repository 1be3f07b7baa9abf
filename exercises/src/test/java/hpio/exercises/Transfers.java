package hpio.exercises;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.lb.LbConfig;
import hpio.testing.Peers;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;

/** What the exercises' end-to-end tests share: a config, and a checked echo through the balancer. */
public final class Transfers {
    private Transfers() {}

    public static LbConfig config(String backend, String... upstreams) {
        List<LbConfig.UpstreamSpec> specs = new java.util.ArrayList<>();
        for (String u : upstreams) {
            String[] p = u.split(":");
            specs.add(new LbConfig.UpstreamSpec(p[0], Integer.parseInt(p[1]), 1));
        }
        return LbConfig.defaults(0, specs).withEventBackend(backend);
    }

    /** The best edge-capable backend here: epoll on Linux, kqueue on macOS and the BSDs. */
    public static String edgeCapableBackend() {
        return hpio.loop.EventLoops.isAvailable("epoll") ? "epoll" : "kqueue";
    }

    public static byte[] randomBytes(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    public static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    /** Writes the payload (then FIN) on one thread while reading the echo on this one; checks every byte. */
    public static void echoChecked(int port, byte[] payload) throws Exception {
        try (Socket s = Peers.client(port)) {
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    out.write(payload);
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                digest.update(buf, 0, n);
                total += n;
            }
            writer.join();
            assertThat(total).as("bytes echoed").isEqualTo(payload.length);
            assertThat(digest.digest()).as("SHA-256 of the echo").isEqualTo(sha256(payload));
        }
    }
}
