package hpio.demo;

import static hpio.loop.Events.READ;
import static hpio.loop.Events.WRITE;

import hpio.loop.EventLoop;
import hpio.net.IoBuffer;
import hpio.net.PeerAddress;
import hpio.net.Sockets;
import hpio.transport.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A small HTTP/1.1 keep-alive server on the same event-loop library, so the
 * balancer has something to balance with nothing else installed. Every request
 * gets the same short answer naming this backend and its port.
 *
 * <pre>java -cp high_perf_lb.jar hpio.demo.DemoBackend --port 9001 --name A</pre>
 */
public final class DemoBackend implements AutoCloseable {
    private static final int MAX_HEADER = 16 * 1024;

    private final EventLoop loop;
    private final Sockets sockets;
    private final int listenFd;
    private final int port;
    private final byte[] response;
    private final byte[] responseAndClose;
    private final IoBuffer readBuffer = IoBuffer.allocate(64 * 1024);
    // Shared by every client for writing: per-client output waits on the heap (where
    // the GC frees it promptly), never in per-client native memory, which an
    // automatic arena would only give back when a GC happens to run.
    private final IoBuffer writeBuffer = IoBuffer.allocate(64 * 1024);
    private final PeerAddress peer = new PeerAddress();
    private Client[] clients = new Client[1024];
    private volatile boolean stopping;

    /** Per-connection parsing state: the bytes of a request header not yet complete, and unsent output. */
    private static final class Client {
        byte[] in = new byte[512];
        int inLength;
        byte[] out = new byte[0];
        int outOffset;
        int outLength;
        boolean closeAfterWrite;
    }

    public DemoBackend(String host, int port, String name, String eventBackend) throws IOException {
        Transport transport = Transport.open(eventBackend, 512);
        loop = transport.loop();
        sockets = transport.sockets();
        listenFd = sockets.listen(new InetSocketAddress(host, port), 4096);
        this.port = sockets.localPort(listenFd);
        String body = "Hello from demo backend " + name + " on port " + this.port + "\n";
        response = httpResponse(body, false);
        responseAndClose = httpResponse(body, true);
        loop.add(listenFd, READ, (fd, events) -> accept());
    }

    private static byte[] httpResponse(String body, boolean close) {
        return ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length()
                + (close ? "\r\nConnection: close" : "") + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII);
    }

    public int port() { return port; }

    public void run() throws IOException {
        try {
            while (!stopping) loop.runOnce(1000);
        } finally {
            for (int fd = 0; fd < clients.length; fd++) if (clients[fd] != null) drop(fd);
            loop.remove(listenFd);
            sockets.close(listenFd);
            loop.close();
        }
    }

    public void stop() {
        stopping = true;
        loop.wakeup();
    }

    @Override
    public void close() { stop(); }

    private void accept() throws IOException {
        for (int i = 0; i < 64; i++) {
            int fd;
            try {
                fd = sockets.accept(listenFd, peer);
            } catch (IOException e) {
                System.err.println("demo backend: accept failed: " + e.getMessage());
                return;
            }
            if (fd == Sockets.AGAIN) return;
            if (fd >= clients.length) clients = Arrays.copyOf(clients, Math.max(fd + 1, clients.length * 2));
            clients[fd] = new Client();
            try {
                loop.add(fd, READ, this::onClient);
            } catch (IOException e) {
                clients[fd] = null;
                sockets.close(fd);
            }
        }
    }

    private void onClient(int fd, int events) throws IOException {
        Client c = clients[fd];
        try {
            if ((events & WRITE) != 0 && !flush(fd, c)) return;
            if ((events & READ) != 0 && c.outLength == 0) {
                int n = sockets.read(fd, readBuffer, 0, readBuffer.capacity());
                if (n == Sockets.AGAIN) return;
                if (n == 0) {
                    drop(fd);
                    return;
                }
                if (c.inLength + n > c.in.length) {
                    if (c.inLength + n > MAX_HEADER) {
                        drop(fd);           // not HTTP as we know it
                        return;
                    }
                    c.in = Arrays.copyOf(c.in, Math.max(c.inLength + n, c.in.length * 2));
                }
                readBuffer.get(0, c.in, c.inLength, n);
                c.inLength += n;
                answerCompleteRequests(c);
                flush(fd, c);
            }
        } catch (IOException e) {
            drop(fd);
        }
    }

    /** Queues one response per complete request (pipelining works), keeps a partial one for later. */
    private void answerCompleteRequests(Client c) {
        int start = 0;
        while (true) {
            int end = indexOfHeaderEnd(c.in, start, c.inLength);
            if (end < 0) break;
            boolean close = wantsClose(c.in, start, end);
            queue(c, close ? responseAndClose : response);
            start = end;
            if (close) {
                c.closeAfterWrite = true;
                break;
            }
        }
        System.arraycopy(c.in, start, c.in, 0, c.inLength - start);
        c.inLength -= start;
    }

    private static int indexOfHeaderEnd(byte[] b, int from, int to) {
        for (int i = from; i + 3 < to; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') return i + 4;
        }
        return -1;
    }

    private static final byte[] CONNECTION_CLOSE = "\nconnection: close".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HTTP_1_0 = " http/1.0\r".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEEP_ALIVE = "keep-alive".getBytes(StandardCharsets.US_ASCII);

    /** "Connection: close", or HTTP/1.0 without keep-alive. Scans bytes: no String per request. */
    private static boolean wantsClose(byte[] b, int from, int to) {
        return contains(b, from, to, CONNECTION_CLOSE)
                || (contains(b, from, to, HTTP_1_0) && !contains(b, from, to, KEEP_ALIVE));
    }

    /** Case-insensitive search for a lower-case ASCII needle. */
    private static boolean contains(byte[] b, int from, int to, byte[] needle) {
        outer:
        for (int i = from; i <= to - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                byte c = b[i + j];
                if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
                if (c != needle[j]) continue outer;
            }
            return true;
        }
        return false;
    }

    private void queue(Client c, byte[] bytes) {
        if (c.outOffset + c.outLength + bytes.length > c.out.length) {
            byte[] bigger = new byte[Math.max(c.out.length * 2, Math.max(1024, c.outLength + bytes.length))];
            System.arraycopy(c.out, c.outOffset, bigger, 0, c.outLength);
            c.out = bigger;
            c.outOffset = 0;
        }
        System.arraycopy(bytes, 0, c.out, c.outOffset + c.outLength, bytes.length);
        c.outLength += bytes.length;
    }

    /** @return true when everything queued was written */
    private boolean flush(int fd, Client c) throws IOException {
        while (c.outLength > 0) {
            int chunk = Math.min(c.outLength, writeBuffer.capacity());
            writeBuffer.put(0, c.out, c.outOffset, chunk);
            int n = sockets.write(fd, writeBuffer, 0, chunk);
            if (n == Sockets.AGAIN) {
                loop.modify(fd, WRITE);
                return false;
            }
            c.outOffset += n;
            c.outLength -= n;
        }
        c.outOffset = 0;
        if (c.closeAfterWrite) {
            drop(fd);
            return false;
        }
        if (loop.interest(fd) != READ) loop.modify(fd, READ);
        return true;
    }

    private void drop(int fd) throws IOException {
        clients[fd] = null;
        if (loop.isRegistered(fd)) loop.remove(fd);
        sockets.close(fd);
    }

    public static void main(String[] args) throws IOException {
        String host = "127.0.0.1", name = null, backend = "auto";
        int port = -1;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--port" -> { port = parsePort(value); i++; }
                case "--name" -> { name = value; i++; }
                case "--bind" -> { host = value; i++; }
                case "-e", "--event-backend" -> { backend = value; i++; }
                case "-h", "--help" -> { usage(System.out); return; }
                default -> { System.err.println("demo backend: unknown argument '" + a + "'"); usage(System.err); System.exit(2); }
            }
        }
        if (port < 0) {
            System.err.println("demo backend: --port is required");
            usage(System.err);
            System.exit(2);
        }
        DemoBackend server;
        try {
            server = new DemoBackend(host, port, name != null ? name : String.valueOf(port), backend);
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("demo backend: cannot start on " + host + ":" + port + ": " + e.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop));
        System.err.println("demo backend " + (name != null ? name : port) + ": listening on " + host + ":" + server.port());
        server.run();
    }

    private static int parsePort(String v) {
        try {
            int p = Integer.parseInt(v);
            if (p >= 0 && p <= 65535) return p;
        } catch (NumberFormatException | NullPointerException ignored) {
            // fall through
        }
        System.err.println("demo backend: --port needs a number from 0 to 65535, not '" + v + "'");
        System.exit(2);
        return -1;
    }

    private static void usage(java.io.PrintStream out) {
        out.println("usage: java -cp high_perf_lb.jar hpio.demo.DemoBackend --port PORT [--name NAME] [--bind ADDR] [-e BACKEND]");
    }
}
