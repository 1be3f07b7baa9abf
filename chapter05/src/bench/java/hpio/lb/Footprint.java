package hpio.lb;

import hpio.loop.EventLoop;
import hpio.loop.EventLoops;
import hpio.loop.IoHandler;
import hpio.loop.Timer;
import hpio.net.PeerAddress;
import hpio.net.Sockets;
import hpio.transport.Transport;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.GraphLayout;
import org.openjdk.jol.vm.VM;

/**
 * {@code make footprint}: what one proxied connection costs in memory, with JOL.
 *
 * <ol>
 *   <li>The field layout of {@link Connection}, of its two {@link Flow}s and of
 *       its connect {@link Timer} (with --idle-timeout it has a second).</li>
 *   <li>The heap one idle proxied connection holds, item by item: its share of
 *       the pool (the objects and the array slot), the event loop's per-fd entries
 *       for its two fds, and the backend's own per-fd heap, per backend.</li>
 *   <li>A check of the per-fd part on real loops: the retained heap of a loop
 *       with K socket pairs registered, minus the same loop with none, over K.</li>
 *   <li>The pool at {@code --max-conns N}: what it holds empty (nothing is made
 *       at start), and after N connections were taken (GraphLayout); the
 *       capacity the balancer picks here by default.</li>
 * </ol>
 *
 * The last line judges the default backend against the target of 512 bytes.
 * Lives in package hpio.lb (in the bench sources) because Connection is
 * package-private. Usage: {@code Footprint [N]}, N = 10000 by default.
 */
public final class Footprint {
    static final int TARGET_BYTES = 512;
    private static final int PAIRS = 400;       // socket pairs per measured loop: 800 fds, under select's 1024

    private Footprint() {}

    public static void main(String[] args) throws Exception {
        int n = 10_000;
        if (args.length > 0) {
            try {
                n = Integer.parseInt(args[0]);
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1) {
                System.err.println("footprint: N must be a positive number of connections, not '" + args[0] + "'");
                System.exit(2);
            }
        }
        report(System.out, n);
    }

    static void report(PrintStream out, int poolSize) throws IOException {
        int ref = (int) VM.current().sizeOfField("object");
        out.printf(Locale.ROOT, "footprint: %s; references %d bytes, object header %d bytes, alignment %d%n%n",
                System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"), ref,
                VM.current().objectHeaderSize(), VM.current().objectAlignment());

        out.println("== 1. Field layout of one connection (hpio.lb.Connection and the parts it holds)");
        out.println();
        for (Class<?> c : List.of(Connection.class, Flow.class, Timer.class)) {
            out.print(ClassLayout.parseClass(c).toPrintable());
            out.println();
        }

        long connection = ClassLayout.parseClass(Connection.class).instanceSize();
        long flow = ClassLayout.parseClass(Flow.class).instanceSize();
        // The timer and its task (a lambda holding the connection): what GraphLayout finds
        // from a bare connection, less the connection and its flows.
        long timer = GraphLayout.parseInstance(new Connection(0, null, false)).totalSize() - connection - 2 * flow;
        long idleTimer = GraphLayout.parseInstance(new Connection(0, null, true)).totalSize()
                - GraphLayout.parseInstance(new Connection(0, null, false)).totalSize();
        long slot = ref;                                          // its slot in the pool's Connection[]
        long loopPerFd = ref + 4 + 4;                             // EventLoop: handlers[fd], interest[fd], generation[fd]
        long own = connection + 2 * flow + timer + slot;

        out.println("== 2. Heap held by one idle proxied connection (two fds: the client's and the backend's)");
        out.println();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"Connection object", String.valueOf(connection), "made once by the pool, reused"});
        rows.add(new String[] {"2 x Flow", String.valueOf(2 * flow), "toBackend, toClient; idle: no buffer held"});
        rows.add(new String[] {"connect Timer and its task", String.valueOf(timer), "armed only while connecting"});
        rows.add(new String[] {"idle Timer and its task (--idle-timeout only)", "(" + idleTimer + ")",
                "not counted in the total"});
        rows.add(new String[] {"pool slot (Connection[] element)", String.valueOf(slot), ""});
        rows.add(new String[] {"EventLoop per fd x 2 fds", String.valueOf(2 * loopPerFd),
                "handler ref " + ref + " + interest int 4 + generation int 4, per fd"});
        table(out, rows);
        out.println();

        List<String> backends = new ArrayList<>();
        for (String b : EventLoops.NAMES) if (EventLoops.isAvailable(b)) backends.add(b);
        List<String[]> perBackend = new ArrayList<>();
        perBackend.add(new String[] {"backend", "its per-fd heap x 2", "total bytes", "measured loop delta", "what the backend adds per fd"});
        String auto = EventLoops.autoName();
        long autoTotal = -1;
        List<String[]> nioClasses = List.of();
        for (String b : backends) {
            long backendHeap = switch (b) {
                case "poll" -> 2 * 4;           // indexOf[fd]; the 8-byte pollfd is off-heap
                case "select", "epoll", "kqueue" -> 0;
                default -> -1;                  // nio: JDK objects, measured below
            };
            List<String[]> classes = b.equals("nio") ? new ArrayList<>() : null;
            double measured = measureLoopPerConnection(b, classes);
            if (classes != null) nioClasses = classes;
            long backendPart = backendHeap >= 0 ? backendHeap : Math.round(measured - 2 * loopPerFd);
            long total = own + 2 * loopPerFd + backendPart;
            if (b.equals(auto)) autoTotal = total;
            perBackend.add(new String[] {b + (b.equals(auto) ? " (auto)" : ""),
                  backendHeap >= 0 ? String.valueOf(backendHeap) : "~" + backendPart,
                  (backendHeap >= 0 ? "" : "~") + total + (total > TARGET_BYTES ? " (over " + TARGET_BYTES + ")" : ""),
                  Double.isNaN(measured) ? "-" : String.format(Locale.ROOT, "%.1f", measured),
                  whatTheBackendAdds(b)});
        }
        table(out, perBackend);
        out.print("""

                  total = Connection + 2 Flows + pool slot + the loop's entries for 2 fds + the backend's per-fd heap.
                  measured loop delta: the retained heap (GraphLayout) of a real loop with %d socket pairs registered,
                  minus the same loop with none, over %d: the loop's and the backend's per-connection heap, with the
                  slack of arrays that grow by doubling (fd-indexed arrays are sized by the highest fd).
                  Not counted, shared by all connections: the 64 KiB read buffer and the spare 64 KiB buffers
                  (off-heap, one per flow paused at once, kept for reuse); the loop's batch arrays; select's fixed
                  int[1024] x 3; the kernel's own socket and epoll/kqueue memory. Each flow makes a write queue on
                  its first short write and keeps it (the baseline's holds a spare only while it waits; with
                  --write-buffer, exercise 4's ring stays), so a connection that ever had one holds it from then on.
                """.formatted(PAIRS, PAIRS));
        out.println();

        if (!nioClasses.isEmpty()) {
            out.println("  nio's part, by class (the same measurement: objects and bytes per proxied connection):");
            table(out, nioClasses);
            out.println();
        }

        out.println("== 3. The pool: connections are made as they are first needed, then kept");
        out.println();
        ConnectionPool pool = new ConnectionPool(poolSize, null, false);   // owner null: the balancer is not counted
        long empty = GraphLayout.parseInstance(pool).totalSize();
        for (int i = 0; i < poolSize; i++) pool.take();
        GraphLayout layout = GraphLayout.parseInstance(pool);
        out.printf(Locale.ROOT, "  ConnectionPool of up to %,d (--max-conns %d): %,d bytes when empty; after %,d clients at"
                      + " once: %,d bytes retained in %,d objects = %.1f bytes per connection (%.2f MiB)%n", poolSize,
                poolSize, empty, poolSize, layout.totalSize(), layout.totalCount(),
                (double) (layout.totalSize() - empty) / poolSize, layout.totalSize() / 1048576.0);
        out.print(indent(layout.toFootprint()));
        hpio.net.OpenFiles.Limit files = hpio.net.OpenFiles.raiseSoftToHard();
        long maxHeap = Runtime.getRuntime().maxMemory();
        int epollDefault = LoadBalancer.defaultPoolSize(files.soft(), Integer.MAX_VALUE, maxHeap);
        out.printf(Locale.ROOT, "  Without --max-conns the pool may grow to what the fds and half the heap allow (%s;"
                      + " heap %d MiB here): %,d connections, %,d bytes made at start.%n%n",
                files.describe(), maxHeap >> 20, epollDefault, empty);

        boolean pass = autoTotal >= 0 && autoTotal <= TARGET_BYTES;
        out.printf(Locale.ROOT, "footprint: %d bytes of heap per idle proxied connection on %s (target <= %d): %s%n",
                autoTotal, auto, TARGET_BYTES, pass ? "PASS" : "MISS");
    }

    private static String whatTheBackendAdds(String backend) {
        return switch (backend) {
            case "select" -> "nothing per fd (fixed arrays for 1024 fds)";
            case "poll" -> "indexOf int on heap (+ 8-byte pollfd off-heap)";
            case "epoll" -> "nothing on the heap (the kernel keeps the interest list)";
            case "kqueue" -> "nothing on the heap (the kernel keeps the filters)";
            case "nio" -> "SocketChannelImpl, SelectionKeyImpl, locks, map entry, ...";
            default -> "";
        };
    }

    /**
     * The retained heap a real loop gains per registered socket pair: one accepted
     * and one connected socket, as a proxied connection holds, both watched for READ.
     */
    static double measureLoopPerConnection(String backend, List<String[]> breakdown) throws IOException {
        IoHandler handler = (fd, events) -> { };
        try (Transport transport = Transport.open(backend, 1024)) {
            EventLoop loop = transport.loop();
            Sockets sockets = transport.sockets();
            int listener = sockets.listen(new InetSocketAddress("127.0.0.1", 0), PAIRS + 16);
            int port = sockets.localPort(listener);
            GraphLayout beforeLayout = GraphLayout.parseInstance(loop, handler);
            long before = beforeLayout.totalSize();
            List<Integer> fds = new ArrayList<>();
            PeerAddress peer = new PeerAddress();
            try {
                for (int i = 0; i < PAIRS; i++) {
                  int connected = sockets.connect(new InetSocketAddress("127.0.0.1", port));
                  fds.add(connected);
                  int accepted;
                  long deadline = System.nanoTime() + 5_000_000_000L;
                  while ((accepted = sockets.accept(listener, peer)) == Sockets.AGAIN) {
                      if (System.nanoTime() > deadline) throw new IOException("loopback connect did not arrive");
                      Thread.onSpinWait();
                  }
                  fds.add(accepted);
                  loop.add(connected, hpio.loop.Events.READ, handler);
                  loop.add(accepted, hpio.loop.Events.READ, handler);
                }
                GraphLayout afterLayout = GraphLayout.parseInstance(loop, handler);
                if (breakdown != null) breakdown.addAll(classDeltas(beforeLayout, afterLayout));
                return (afterLayout.totalSize() - before) / (double) PAIRS;
            } finally {
                for (int fd : fds) {
                  if (loop.isRegistered(fd)) loop.remove(fd);
                  sockets.close(fd);
                }
                sockets.close(listener);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("footprint: cannot measure a " + backend + " loop: " + e.getMessage());
            return Double.NaN;
        }
    }

    /** The classes whose instances grew from one layout to the other, largest first, per socket pair. */
    private static List<String[]> classDeltas(GraphLayout before, GraphLayout after) {
        record Delta(String name, long count, long bytes) {}
        List<Delta> deltas = new ArrayList<>();
        for (Class<?> c : after.getClassSizes().keys()) {
            long bytes = after.getClassSizes().count(c) - before.getClassSizes().count(c);
            long count = after.getClassCounts().count(c) - before.getClassCounts().count(c);
            if (bytes > 0) deltas.add(new Delta(c.getName(), count, bytes));
        }
        deltas.sort((a, b) -> Long.compare(b.bytes(), a.bytes()));
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"  class", "objects", "bytes", ""});
        long otherBytes = 0;
        for (int i = 0; i < deltas.size(); i++) {
            Delta d = deltas.get(i);
            if (i < 10) {
                rows.add(new String[] {"  " + d.name(), String.format(Locale.ROOT, "%.2f", (double) d.count() / PAIRS),
                        String.format(Locale.ROOT, "%.1f", (double) d.bytes() / PAIRS), ""});
            } else {
                otherBytes += d.bytes();
            }
        }
        if (otherBytes > 0) {
            rows.add(new String[] {"  (" + (deltas.size() - 10) + " other classes)", "",
                    String.format(Locale.ROOT, "%.1f", (double) otherBytes / PAIRS), ""});
        }
        return rows;
    }

    private static void table(PrintStream out, List<String[]> rows) {
        int cols = rows.get(0).length;
        int[] w = new int[cols];
        for (String[] r : rows) for (int c = 0; c < cols; c++) w[c] = Math.max(w[c], r[c].length());
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder("  ");
            for (int c = 0; c < cols; c++) {
                boolean right = c > 0 && c < cols - 1;
                String cell = right ? " ".repeat(w[c] - r[c].length()) + r[c] : r[c] + " ".repeat(w[c] - r[c].length());
                line.append(c == 0 ? "" : "  ").append(cell);
            }
            out.println(line.toString().stripTrailing());
        }
    }

    private static String indent(String text) {
        StringBuilder b = new StringBuilder();
        for (String line : text.split("\n")) b.append("    ").append(line).append('\n');
        return b.toString();
    }
}
