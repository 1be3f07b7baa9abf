package hpio.measure;

import hpio.measure.SoakLedger.Outcome;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * One soak transfer through the balancer, checked end to end: a 16-byte header
 * (id, length), then {@code length} bytes made from the transfer's seed, sent on a
 * virtual thread of their own while this one reads. What comes back must be the
 * same bytes in order (compared as they arrive, so a cut transfer is checked to be
 * a byte-exact prefix), then the backend's SHA-256 of what it received, equal to
 * the hash of what was sent, then EOF. {@code halfClose}: the client shuts its
 * sending side after the payload (the balancer must pass the FIN on and still
 * deliver the whole answer).
 */
final class SoakTransfer {
    final long id;
    final long length;
    final boolean halfClose;
    private final long seed;
    private final long deadlineNanos;
    private final Socket socket = new Socket();

    SoakTransfer(long id, long length, boolean halfClose, long runSeed) {
        this.id = id;
        this.length = length;
        this.halfClose = halfClose;
        this.seed = SoakPayload.seedOf(runSeed, id);
        this.deadlineNanos = System.nanoTime() + deadlineMillis(length) * 1_000_000;
    }

    /** 30 s, plus 2 s per MiB: a backend paused for seconds delays a transfer, it must not hang it. */
    static long deadlineMillis(long length) {
        return 30_000 + 2_000 * (length >> 20);
    }

    /** The reset fault: RST on this connection (SO_LINGER 0, then close), marked as hit first. */
    void reset(SoakLedger ledger) {
        ledger.hit(id, "client reset");
        SoakBackend.abort(socket, true);
    }

    /** Runs the transfer to its end and reports it to the ledger; returns how it ended. */
    Outcome run(int port, SoakLedger ledger) {
        long start = System.nanoTime();
        ledger.started(this);
        long[] got = {0};
        String[] why = {""};
        Outcome o;
        Thread writer = null;
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            writer = Thread.ofVirtual().name("soak-send-" + id).start(this::send);
            o = receive(got, why);
        } catch (SocketTimeoutException e) {
            o = Outcome.HUNG;
            why[0] = "no answer by the deadline (" + got[0] + " of " + length + " B back)";
        } catch (IOException e) {
            o = Outcome.CUT;                          // decided below: hit, refused, or lost
            why[0] = e.getMessage();
        }
        SoakBackend.abort(socket, false);
        if (writer != null) join(writer);
        if (o == Outcome.CUT) {
            if (ledger.isHit(id)) {
                o = Outcome.CUT;
            } else if (got[0] == 0 && !ledger.wasServed(id) && ledger.refusingDuring(port, start, System.nanoTime())) {
                o = Outcome.CUT;                      // refused while a fault refused connections
            } else {
                o = Outcome.LOST;
                why[0] = "ended after " + got[0] + " of " + length + " B, not hit by a fault ("
                        + (ledger.wasServed(id) ? "a backend served it" : "no backend saw it") + ", "
                        + ledger.millisSinceRefusing(port, System.nanoTime()) + " ms after a refusing fault ended): " + why[0];
            }
        }
        ledger.finished(this, o, got[0], why[0]);
        return o;
    }

    private void send() {
        byte[] chunk = new byte[64 * 1024];
        SoakPayload payload = new SoakPayload(seed);
        try {
            OutputStream out = socket.getOutputStream();
            out.write(ByteBuffer.allocate(SoakBackend.HEADER).putLong(id).putLong(length).array());
            for (long left = length; left > 0; ) {
                int n = (int) Math.min(chunk.length, left);
                payload.fill(chunk, 0, n);
                out.write(chunk, 0, n);
                left -= n;
            }
            out.flush();
            if (halfClose) socket.shutdownOutput();
        } catch (IOException e) {
            // cut: the reader sees it and decides what it was
        }
    }

    /**
     * Reads the echo, the digest and EOF. Throws IOException when the connection
     * ends early (EOF counts), SocketTimeoutException past the deadline.
     */
    private Outcome receive(long[] got, String[] why) throws IOException {
        InputStream in = socket.getInputStream();
        MessageDigest sha = SoakBackend.sha256();
        SoakPayload expected = new SoakPayload(seed);
        byte[] buffer = new byte[64 * 1024];
        byte[] want = new byte[buffer.length];
        while (got[0] < length) {
            int n = read(in, buffer, (int) Math.min(buffer.length, length - got[0]));
            expected.fill(want, 0, n);
            int at = Arrays.mismatch(buffer, 0, n, want, 0, n);
            if (at >= 0) {
                why[0] = "byte " + (got[0] + at) + " differs from what was sent";
                return Outcome.CORRUPT;
            }
            sha.update(buffer, 0, n);
            got[0] += n;
        }
        byte[] digest = new byte[SoakBackend.DIGEST];
        for (int have = 0; have < digest.length; ) have += read(in, digest, have, digest.length - have);
        if (!Arrays.equals(digest, sha.digest())) {
            why[0] = "the backend's SHA-256 of what it received is not that of what was sent";
            return Outcome.CORRUPT;
        }
        socket.setSoTimeout(remainingMillis());
        if (in.read() >= 0) {
            why[0] = "bytes after the digest";
            return Outcome.CORRUPT;
        }
        return Outcome.OK;
    }

    private int read(InputStream in, byte[] b, int max) throws IOException {
        return read(in, b, 0, max);
    }

    /** One read of at least a byte, before the deadline; EOF is an IOException (the transfer was cut). */
    private int read(InputStream in, byte[] b, int offset, int max) throws IOException {
        socket.setSoTimeout(remainingMillis());
        int n = in.read(b, offset, max);
        if (n < 0) throw new IOException("EOF");
        return n;
    }

    private int remainingMillis() throws SocketTimeoutException {
        long ms = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        if (ms <= 0) throw new SocketTimeoutException("deadline");
        return (int) Math.min(Integer.MAX_VALUE, ms);
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
