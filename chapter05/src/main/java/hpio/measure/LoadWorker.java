package hpio.measure;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/** One thread's connections on one selector. */
final class LoadWorker {
    private static final int CONNECTING = 0, WRITING = 1, READING = 2, WAITING_TO_RETRY = 3;
    private static final long SCAN_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final InetSocketAddress address;
    private final byte[] request;
    private final boolean closeEach;
    private final long timeoutNanos;
    private final Conn[] conns;
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
    private final Consumer<SelectionKey> onReady = this::onReady;   // made once: no lambda per select
    // Read by LoadGenerator.run once the thread has ended (Thread.join orders it).
    final Histogram latency = new Histogram(LoadGenerator.HIGHEST_MICROS, 3);
    private Selector selector;
    private boolean measuring = true;
    Throwable failure;
    long requests, connectErrors, readErrors, writeErrors, timeouts, statusErrors;

    /** One client connection, made once and reused across reconnects. */
    private static final class Conn {
        SocketChannel channel;
        SelectionKey key;
        ByteBuffer out;
        final HttpResponseReader response = new HttpResponseReader();
        int state;
        long since;           // when the connect began or the request's first byte went out
    }

    LoadWorker(InetSocketAddress address, byte[] request, int connections, boolean closeEach, long timeoutNanos) {
        this.address = address;
        this.request = request;
        this.closeEach = closeEach;
        this.timeoutNanos = timeoutNanos;
        conns = new Conn[connections];
        for (int i = 0; i < connections; i++) {
            conns[i] = new Conn();
            conns[i].out = ByteBuffer.wrap(request).asReadOnlyBuffer();
        }
    }

    void run(long measureFrom, long deadline) {
        try {
            selector = Selector.open();
            long now = System.nanoTime();
            for (Conn c : conns) open(c, now);
            long nextScan = now + SCAN_NANOS;
            boolean warmingUp = measureFrom - now > 0;
            while ((now = System.nanoTime()) - deadline < 0) {
                if (warmingUp && now - measureFrom >= 0) {
                    warmingUp = false;          // what the warm-up did is not counted
                    requests = connectErrors = readErrors = writeErrors = timeouts = statusErrors = 0;
                    latency.reset();
                }
                long waitMillis = Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(deadline - now)));
                selector.select(onReady, waitMillis);
                now = System.nanoTime();
                if (now - nextScan >= 0) {
                    scan(now);
                    nextScan = now + SCAN_NANOS;
                }
            }
        } catch (IOException | RuntimeException e) {
            failure = e;
        } finally {
            measuring = false;
            for (Conn c : conns) closeQuietly(c);
            try {
                if (selector != null) selector.close();
            } catch (IOException ignored) {
                // nothing left to do
            }
        }
    }

    /** Timeouts, and connections waiting to retry after a failed connect. */
    private void scan(long now) {
        for (Conn c : conns) {
            if (c.state == WAITING_TO_RETRY) {
                open(c, now);
            } else if (now - c.since > timeoutNanos) {
                timeouts++;
                reconnect(c, now);
            }
        }
    }

    private void open(Conn c, long now) {
        c.since = now;
        try {
            SocketChannel ch = SocketChannel.open();
            c.channel = ch;
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            c.key = ch.register(selector, 0, c);
            if (ch.connect(address)) {
                send(c);
            } else {
                c.state = CONNECTING;
                c.key.interestOps(SelectionKey.OP_CONNECT);
            }
        } catch (IOException e) {
            // Refused at once, or out of fds or ports: try again at the next scan, not in a spin.
            connectErrors++;
            closeQuietly(c);
            c.state = WAITING_TO_RETRY;
        }
    }

    private void reconnect(Conn c, long now) {
        closeQuietly(c);
        if (measuring) open(c, now);
    }

    private void closeQuietly(Conn c) {
        if (c.channel == null) return;
        try {
            c.channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        c.channel = null;
        c.key = null;
    }

    private void send(Conn c) throws IOException {
        c.out.clear();
        c.response.reset();
        c.since = System.nanoTime();
        c.state = WRITING;
        writeMore(c);
    }

    private void writeMore(Conn c) throws IOException {
        c.channel.write(c.out);
        if (c.out.hasRemaining()) {
            c.key.interestOps(SelectionKey.OP_WRITE);
        } else {
            c.state = READING;
            c.key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void onReady(SelectionKey key) {
        Conn c = (Conn) key.attachment();
        if (!key.isValid() || c.key != key) return;
        int state = c.state;
        try {
            if (state == CONNECTING) {
                if (c.channel.finishConnect()) send(c);
            } else if (state == WRITING) {
                writeMore(c);
            } else if (state == READING) {
                read(c);
            }
        } catch (HttpResponseReader.ProtocolException e) {
            readErrors++;
            reconnect(c, System.nanoTime());
        } catch (IOException e) {
            if (state == CONNECTING) connectErrors++;
            else if (state == WRITING) writeErrors++;
            else readErrors++;
            reconnect(c, System.nanoTime());
        }
    }

    private void read(Conn c) throws IOException {
        in.clear();
        int n = c.channel.read(in);
        if (n == 0) return;
        long now = System.nanoTime();
        if (n < 0) {
            if (c.response.endOfStream()) {
                completed(c, now);
            } else {
                readErrors++;             // closed before a whole response
                reconnect(c, now);
            }
            return;
        }
        int used = c.response.feed(in.array(), 0, n);
        if (!c.response.complete()) return;
        if (used < n) throw new HttpResponseReader.ProtocolException("bytes after the response");
        completed(c, now);
    }

    private void completed(Conn c, long now) throws IOException {
        requests++;
        latency.recordValue(Math.min(LoadGenerator.HIGHEST_MICROS, Math.max(0, (now - c.since) / 1000)));
        if (c.response.status() >= 400) statusErrors++;
        if (closeEach || c.response.closes()) reconnect(c, now);
        else send(c);
    }
}
