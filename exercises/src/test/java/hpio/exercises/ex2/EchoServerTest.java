package hpio.exercises.ex2;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.exercises.ex2.WatchedSockets.Flow;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Exercise 2: the echo server on real loopback sockets, edge-triggered on epoll
 * (kqueue on macOS). Each test drives one behaviour the handler must have; each
 * failure says which mistake it caught. A last-resort timeout stops a test that
 * hangs in spite of its per-step deadlines ({@link EchoRig#STEP}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EchoServerTest {
    private static final int KIB = 1024;
    /** Small, so that every test's transfer is many buffers long. */
    private static final int BUFFER = 16 * KIB;
    /** A period in which nothing happens, and the most wake-ups it may take. */
    private static final Duration QUIET = Duration.ofMillis(500);
    private static final long HANDFUL = 25;

    private static byte[] randomBytes(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void assertSameBytes(byte[] sent, int offset, byte[] got, String mistake) {
        for (int i = 0; i < got.length; i++) {
            if (got[i] != sent[offset + i]) {
                throw new AssertionError("the echo differs from what was sent at byte " + (offset + i) + ": " + mistake);
            }
        }
    }

    private static String describe(Flow f) {
        return f == null ? " (not accepted)" : " (read " + f.read + " bytes in " + f.reads + " calls, echoed "
                + f.written + ", " + f.refusedWrites + " writes refused)";
    }

    private static int localPortOf(Socket s) {
        return s.getLocalPort();
    }

    // ------------------------------------------------------------ drain to EAGAIN

    @Test
    void aMebibyteEchoesInLockstepChunks() throws Exception {
        byte[] payload = randomBytes(1024 * KIB, 1);
        Random sizes = new Random(2);
        try (EchoRig rig = new EchoRig(true, BUFFER).start()) {
            Socket s = rig.client();
            int offset = 0;
            for (int step = 1; offset < payload.length; step++) {
                // A few tiny chunks first, then mostly several buffers' worth.
                int size = step <= 3 ? step : 1 + sizes.nextInt(6 * BUFFER);
                int length = Math.min(size, payload.length - offset);
                Thread sender = EchoRig.sendInBackground(s, payload, offset, length, false);
                byte[] reply = new byte[length];
                int at = offset, n = step;
                // The client sends nothing more until this whole reply is back: bytes left in the
                // socket now are announced by no new edge.
                rig.readFully(s, reply, 0, length, 64 * KIB,
                        () -> "step " + n + ": the echo of a " + length + "-byte chunk (bytes " + at + ".." + (at + length)
                                + " of 1 MiB) stalled: the server stopped reading before EAGAIN, and edge-triggered will"
                                + " not tell it again (this client waits for its reply before sending more); or it"
                                + " paused while its buffer was full and never resumed",
                        () -> "step " + n + ": the server closed the connection in the middle of an echo");
                assertSameBytes(payload, offset, reply, "bytes were lost, repeated or reordered between read and write");
                sender.join(EchoRig.STEP.toMillis());
                offset += length;
            }
        }
    }

    @Test
    void aBurstOfClientsQueuedBeforeTheFirstWaitIsAcceptedInFull() throws Exception {
        int count = 40;
        try (EchoRig rig = new EchoRig(true, BUFFER)) {
            List<Socket> queued = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Socket s = rig.client();            // completes in the kernel's accept queue
                s.getOutputStream().write(("client " + i).getBytes(StandardCharsets.US_ASCII));
                queued.add(s);
            }
            rig.start();                            // the listener now has ONE edge for all of them
            for (int i = 0; i < count; i++) {
                byte[] want = ("client " + i).getBytes(StandardCharsets.US_ASCII);
                byte[] got = new byte[want.length];
                int n = i;
                rig.readFully(queued.get(i), got, 0, got.length, got.length,
                        () -> "client " + n + " of " + count + " got no echo: all " + count + " were queued before the"
                                + " loop's first wait, so the listening socket reported ONE edge for all of them and will"
                                + " not report those still queued again (keep accepting until the queue is empty)",
                        () -> "client " + n + " was closed before its echo");
                assertThat(got).as("the echo of client %d", i).isEqualTo(want);
            }
        }
    }

    // ------------------------------------------------------------ fairness

    /** The server streams an endless client (reads never meet EAGAIN) from the start; returns its flow. */
    private static Flow startEndlessClient(EchoRig rig) throws Exception {
        Socket endless = new Socket();
        endless.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        rig.sockets.makeEndless(localPortOf(endless));
        rig.client(endless).getOutputStream().write('x');    // one real byte, so the kernel reports it once
        rig.await(() -> rig.sockets.flow(localPortOf(endless)) != null
                        && rig.sockets.flow(localPortOf(endless)).reads > 0,
                () -> "the server never read a client that had connected and sent a byte");
        return rig.sockets.flow(localPortOf(endless));
    }

    @Test
    void aClientStreamingWithoutPauseCannotStarveAnother() throws Exception {
        try (EchoRig rig = new EchoRig(true, BUFFER).start()) {
            startEndlessClient(rig);
            Socket small = rig.client();
            small.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            byte[] got = new byte[4];
            rig.readFully(small, got, 0, 4, 4,
                    () -> "a second client's 4-byte echo did not come back while the first streamed without pause: the"
                            + " server drains one client to EAGAIN, which never comes (starvation); give each a read"
                            + " budget per turn and serve the rest from a ready list",
                    () -> "the second client was closed before its echo");
            assertThat(new String(got, StandardCharsets.US_ASCII)).as("the second client's echo").isEqualTo("ping");
        }
    }

    @Test
    void aClientCutShortByItsBudgetIsServedAgainOnTheNextTurn() throws Exception {
        try (EchoRig rig = new EchoRig(true, BUFFER).start()) {
            Flow endless = startEndlessClient(rig);
            long enough = 10L * EchoServer.READ_BUDGET;
            rig.await(() -> endless.reads >= enough,
                    () -> "a client that spent its read budget (" + EchoServer.READ_BUDGET + " reads) was never read"
                            + " again (" + endless.reads + " reads in " + EchoRig.STEP.toSeconds() + " s): its bytes"
                            + " were announced once, edge-triggered will not announce them again; keep such a client"
                            + " on a ready list and serve it on the next turn");
        }
    }

    // ------------------------------------------------------------ short writes, back-pressure, WRITE interest

    /** The most a slow reader sends: far more than the socket buffers on either side can hold. */
    private static final int MOST = 32 * 1024 * KIB;
    private static final byte[] PAYLOAD = randomBytes(MOST, 3);
    private static final int PIECE = 16 * KIB;

    /**
     * A client sends, and reads nothing, until the
     * server's socket refuses bytes and then {@code extra} bytes more (the server's
     * buffer fills: it must stop reading); then it reads the whole echo in small
     * pieces and checks every byte. Returns the bytes sent.
     */
    private static long slowReader(EchoRig rig, int extra, Runnable whileNotReading)
            throws Exception {
        Socket s = rig.client();
        AtomicLong sent = new AtomicLong();
        AtomicBoolean done = new AtomicBoolean();
        Thread sender = Thread.ofVirtual().start(() -> {
            try {
                long stopAt = MOST;
                for (int at = 0; at < stopAt; at += 16 * KIB) {
                    s.getOutputStream().write(PAYLOAD, at, 16 * KIB);
                    sent.addAndGet(16 * KIB);
                    Flow f = rig.sockets.flow(localPortOf(s));
                    if (stopAt == MOST && f != null && f.refusedWrites > 0) stopAt = Math.min(MOST, at + extra);
                }
            } catch (IOException e) {
                // the test failed and closed the socket; its own message says why
            } finally {
                done.set(true);
            }
        });
        rig.await(() -> rig.sockets.flow(localPortOf(s)) != null && rig.sockets.flow(localPortOf(s)).refusedWrites > 0,
                () -> "the server never filled the socket of a client that reads nothing: it did not echo what it read"
                        + describe(rig.sockets.flow(localPortOf(s))));
        whileNotReading.run();
        byte[] got = new byte[MOST];
        int have = 0;
        while (!done.get() || have < sent.get()) {
            int want = (int) Math.min(PIECE, sent.get() - have);
            int at = have;
            if (want == 0) {                // all sent so far is back: the sender is between two writes
                rig.await(() -> done.get() || sent.get() > at, () -> "the client could not send");
                continue;
            }
            rig.readFully(s, got, have, want, want,
                    () -> "the echo to a client that reads slowly stalled after " + at + " bytes: when the socket takes"
                            + " only part of a write, the rest must be kept and written once WRITE is reported (turn"
                            + " WRITE interest on while bytes wait), and reading must resume once the buffer has room"
                            + describe(rig.sockets.flow(localPortOf(s))),
                    () -> "the server closed the connection in the middle of the echo");
            have += want;
        }
        assertSameBytes(PAYLOAD, 0, Arrays.copyOf(got, have), "the bytes a short write left behind were lost or"
                + " reordered; keep them, and write them before anything read later");
        sender.join(EchoRig.STEP.toMillis());
        return have;
    }

    @Test
    void aSlowReaderGetsABigEchoByteExactFromABoundedBuffer() throws Exception {
        try (EchoRig rig = new EchoRig(true, BUFFER).start()) {
            slowReader(rig, 1024 * KIB, () -> {});
        }
    }

    @Test
    void aHalfClosedClientStillGetsEverythingBack() throws Exception {
        // A buffer larger than anything in flight, so the server never pauses here: it reads
        // on to the client's EOF while the echo it could not yet send is still kept.
        try (EchoRig rig = new EchoRig(true, MOST).start()) {
            Socket s = rig.client();
            Flow[] flow = new Flow[1];
            int sent = 0;
            // Send, reading nothing, until the server's socket refuses bytes: it now keeps some.
            while (flow[0] == null || flow[0].refusedWrites == 0) {
                if (sent == MOST) throw new AssertionError("the server never filled the socket of a client that reads"
                        + " nothing: it did not echo what it read" + describe(flow[0]));
                s.getOutputStream().write(PAYLOAD, sent, 16 * KIB);
                sent += 16 * KIB;
                flow[0] = rig.sockets.flow(localPortOf(s));
                rig.check();
            }
            s.getOutputStream().write(PAYLOAD, sent, 100);
            sent += 100;
            s.shutdownOutput();
            rig.await(() -> flow[0].eof, () -> "the server never read the EOF of a client that shut its side (its"
                    + " buffer had room): it stopped reading before EAGAIN" + describe(flow[0]));
            assertThat(flow[0].heldAtEof).as("bytes kept when the EOF came (this test needs some)").isPositive();
            byte[] got = new byte[sent];
            int total = sent;
            rig.readFully(s, got, 0, total, 64 * KIB,
                    () -> "the echo to a client that shut its side stalled after its EOF: the kept bytes must still"
                            + " go out" + describe(flow[0]),
                    () -> "the echo ended early: the server closed when the client shut its side, with "
                            + flow[0].heldAtEof + " bytes still kept; a half-closed peer still reads, so close only"
                            + " once everything it sent is echoed");
            assertSameBytes(PAYLOAD, 0, got, "the bytes a short write left behind were lost or reordered");
            rig.awaitEnd(s, "everything came back, but the server never closed the connection: after the client's"
                    + " EOF, close once the kept bytes are all echoed");

            // And a small one: sent, shut, echoed, closed.
            Socket small = rig.client();
            small.getOutputStream().write("bye".getBytes(StandardCharsets.US_ASCII));
            small.shutdownOutput();
            byte[] bye = new byte[3];
            rig.readFully(small, bye, 0, 3, 3, () -> "a 3-byte message sent just before a half-close was never echoed",
                    () -> "the echo ended early: the server closed when the client shut its side, but a half-closed"
                            + " peer still reads; close only once everything it sent is echoed");
            rig.awaitEnd(small, "everything came back, but the server never closed the connection: after the"
                    + " client's EOF, close once the kept bytes are all echoed");
        }
    }

    // ------------------------------------------------------------ no busy loop

    private static void theLoopSleepsWhileNothingHappens(boolean edge) throws Exception {
        try (EchoRig rig = new EchoRig(edge, BUFFER).start()) {
            String mode = edge ? "edge-triggered" : "level-triggered";
            String paused = edge
                    ? "is the ready list's 0-delay timer armed with nothing to serve?"
                    : "level-triggered reports unread bytes on every wait, so READ interest must be off while the"
                      + " buffer is full; or the ready list's 0-delay timer is armed with nothing to serve";
            String idle = edge
                    ? "is the ready list's 0-delay timer armed with nothing to serve?"
                    : "WRITE interest left on once the kept bytes were gone (level-triggered reports a writable"
                      + " socket on every wait); or the ready list's 0-delay timer is armed with nothing to serve";
            long[] whilePaused = new long[1];
            slowReader(rig, 4 * BUFFER, () -> {
                try {
                    whilePaused[0] = rig.waitsDuring(QUIET);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(whilePaused[0])
                    .as("%s: the loop woke %d times in %d ms while its only client read nothing (a handful is"
                                    + " normal): a busy loop; %s", mode, whilePaused[0], QUIET.toMillis(), paused)
                    .isLessThanOrEqualTo(HANDFUL);
            long whileIdle = rig.waitsDuring(QUIET);
            assertThat(whileIdle)
                    .as("%s: the loop woke %d times in %d ms with its client idle and everything echoed (a handful is"
                            + " normal): a busy loop; %s", mode, whileIdle, QUIET.toMillis(), idle)
                    .isLessThanOrEqualTo(HANDFUL);
            rig.check();
        }
    }

    @Test
    void theLoopSleepsWhileNothingHappensEdgeTriggered() throws Exception {
        theLoopSleepsWhileNothingHappens(true);
    }

    @Test
    void theLoopSleepsWhileNothingHappensLevelTriggered() throws Exception {
        theLoopSleepsWhileNothingHappens(false);
    }
}
