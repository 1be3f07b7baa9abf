package hpio.measure;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Locale;

/**
 * The bulk scenario's stand-in for iperf3 where it is not installed (or
 * LOAD=builtin): one flow of large writes from a sender to a sink, through the
 * proxy, in Gb/s. Blocking channels and a 256 KiB direct buffer: the work is
 * the kernel's copies, and this tool should add as little of its own as it can.
 *
 * <pre>
 *   BulkTool serve PORT                    sink: reads and discards, one thread per connection
 *   BulkTool send PORT SECONDS WARMUP      sender: WARMUP s unmeasured, then SECONDS measured;
 *                                          prints "RESULT bytes=N seconds=S gbps=G"
 * </pre>
 */
public final class BulkTool {
    private static final int BUFFER = 256 * 1024;

    private BulkTool() {}

    public static void main(String[] args) {
        try {
            if (args.length == 2 && args[0].equals("serve")) {
                serve(Integer.parseInt(args[1]));
            } else if (args.length == 4 && args[0].equals("send")) {
                send(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            } else {
                System.err.println("usage: BulkTool serve PORT | send PORT SECONDS WARMUP");
                System.exit(2);
            }
        } catch (NumberFormatException e) {
            System.err.println("BulkTool: not a number: " + e.getMessage());
            System.exit(2);
        } catch (IOException e) {
            System.err.println("BulkTool: " + e.getMessage());
            System.exit(1);
        }
    }

    private static void serve(int port) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", port), 64);
        while (true) {
            SocketChannel c = server.accept();
            Thread.ofVirtual().start(() -> drain(c));
        }
    }

    /** Reads until the sender closes; what it read is of no interest, only that it was taken. */
    private static void drain(SocketChannel c) {
        ByteBuffer b = ByteBuffer.allocateDirect(BUFFER);
        try (c) {
            while (c.read(b.clear()) >= 0) {
                // discard
            }
        } catch (IOException e) {
            // The sender went away mid-flow: the sink has nothing to report.
        }
    }

    private static void send(int port, int seconds, int warmup) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(BUFFER);
        try (SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
            long start = System.nanoTime();
            long measureFrom = start + warmup * 1_000_000_000L, end = measureFrom + seconds * 1_000_000_000L;
            long bytes = 0, now = start;
            boolean measuring = warmup == 0;
            if (measuring) System.out.println("Measuring");
            while (now < end) {
                int n = c.write(b.clear());
                now = System.nanoTime();
                if (!measuring && now >= measureFrom) {
                    measuring = true;
                    System.out.println("Measuring");
                } else if (measuring) {
                    bytes += n;
                }
            }
            double s = (now - measureFrom) / 1e9;
            System.out.printf(Locale.ROOT, "RESULT bytes=%d seconds=%.3f gbps=%.2f%n", bytes, s, bytes * 8 / s / 1e9);
        }
    }
}
