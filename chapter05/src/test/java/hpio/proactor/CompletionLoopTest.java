package hpio.proactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import hpio.nativeio.LinuxIoUring;
import hpio.net.NativeSockets;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The proactor's loop on the real kernel: what it promises about the SQ, the CQ,
 * generations and in-flight counts. Sockets are real, on loopback.
 */
class CompletionLoopTest {
    /** What the handler saw: slot, op, res, in order. */
    private final List<int[]> seen = new ArrayList<>();
    private CompletionLoop loop;
    private final Arena arena = Arena.ofShared();
    private final NativeSockets sockets = new NativeSockets();

    @BeforeAll
    static void onlyWhereIoUringWorks() {
        String reason = LinuxIoUring.unavailableReason();
        if (reason != null) System.out.println("CompletionLoopTest skipped: " + reason);
        assumeTrue(reason == null, reason);
    }

    @AfterEach
    void close() throws IOException {
        if (loop != null) {
            assertThat(loop.totalInFlight()).as("nothing left in flight at the end").isZero();
            loop.close();
        }
        arena.close();
    }

    /** A connected non-blocking socket to {@code server}; accepting it is the caller's. */
    private int connectTo(ServerSocket server) throws IOException {
        int fd = sockets.connect(new InetSocketAddress("127.0.0.1", server.getLocalPort()));
        while (!sockets.finishConnect(fd)) Thread.onSpinWait();   // loopback: the handshake ends at once
        return fd;
    }

    private CompletionLoop open(int sq, int cq) throws IOException {
        loop = new CompletionLoop(sq, cq);
        loop.handler(new CompletionLoop.Handler() {
            @Override public void onCompletion(int slot, int op, int res, int flags) { seen.add(new int[] {slot, op, res}); }

            @Override public void onFailure(int slot, Exception cause) { throw new AssertionError(cause); }

            @Override public void onCloseFailed(int res) { seen.add(new int[] {-2, 0, res}); }
        });
        return loop;
    }

    private void turnUntil(int completions) throws IOException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (seen.size() < completions && System.nanoTime() < deadline) loop.runOnce(100_000_000L);
    }

    /** More operations than the SQ has entries: each full SQ is submitted on the way, and every one completes. */
    @Test
    void aFullSqIsSubmittedAndEveryOperationCompletes() throws IOException {
        open(4, 256);
        for (int i = 0; i < 100; i++) loop.nop(1 + i, 9);
        assertThat(loop.enters()).as("io_uring_enter calls made only to empty a full SQ").isGreaterThanOrEqualTo(24);
        turnUntil(100);
        assertThat(seen).hasSize(100);
        for (int i = 0; i < 100; i++) assertThat(loop.inFlight(1 + i)).isZero();
    }

    /** A CQ of 8 and 200 completions at once: the rest wait in the kernel's overflow list, and none is lost. */
    @Test
    void aCqOverflowLosesNoCompletion() throws IOException {
        open(8, 8);
        for (int i = 0; i < 200; i++) loop.nop(1 + i, 9);
        assertThat(loop.cqOverflowPending()).as("the CQ overflowed").isTrue();
        turnUntil(200);
        Set<Integer> slots = new HashSet<>();
        for (int[] s : seen) slots.add(s[0]);
        assertThat(slots).as("each of the 200 completions, once").hasSize(200);
        assertThat(seen).hasSize(200);
    }

    /** A CQE from a retired generation of a slot reaches no handler and changes no count. */
    @Test
    void aStaleCompletionIsDropped() throws IOException {
        open(8, 0);
        loop.nop(1, 9);
        long old = loop.userData(1, 9);
        turnUntil(1);
        assertThat(loop.retire(1)).isTrue();
        loop.forgedNop(old);                     // as if the kernel still had an operation of the old generation
        loop.nop(2, 9);                          // a live one, to know the turn has been taken
        turnUntil(2);
        assertThat(seen).hasSize(2);
        assertThat(seen.get(1)[0]).isEqualTo(2);
        assertThat(loop.staleCompletions()).isEqualTo(1);
        assertThat(loop.inFlight(1)).isZero();
    }

    /**
     * A RECV waiting for bytes that do not come holds its buffer: the slot cannot
     * be retired. It is cancelled; its CQE is -ECANCELED, and only after that
     * CQE may the slot go. The buffer is untouched meanwhile.
     */
    @Test
    void aRecvInFlightKeepsItsSlotUntilItsCancelCompletes() throws Exception {
        open(8, 0);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int fd = connectTo(server);
            try (Socket peer = server.accept()) {
                MemorySegment buf = arena.allocate(64);
                buf.fill((byte) 0x55);
                loop.recv(1, 4, fd, buf.address(), 64);
                loop.runOnce(50_000_000L);           // submitted; nothing to receive
                assertThat(seen).as("the RECV waits for bytes").isEmpty();
                assertThat(loop.retire(1)).as("retire while the RECV is in flight").isFalse();
                loop.cancel(1, 4, 8);
                turnUntil(2);
                assertThat(seen).extracting(s -> s[1] + ":" + s[2])
                        .containsExactlyInAnyOrder("4:-" + LinuxIoUring.ECANCELED, "8:0");
                assertThat(loop.inFlight(1)).isZero();
                assertThat(loop.retire(1)).isTrue();
                for (int i = 0; i < 64; i++) assertThat(buf.get(ValueLayout.JAVA_BYTE, i)).isEqualTo((byte) 0x55);
                // The socket is still good: what is sent now is received by the next RECV.
                OutputStream out = peer.getOutputStream();
                out.write("after".getBytes());
                loop.recv(1, 4, fd, buf.address(), 64);
                turnUntil(3);
                assertThat(seen.get(2)[2]).isEqualTo(5);
            } finally {
                sockets.close(fd);
            }
        }
    }

    /** A SEND's bytes reach the peer exactly; its CQE says how many the kernel took. */
    @Test
    void aSendDeliversItsBytes() throws Exception {
        open(8, 0);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int fd = connectTo(server);
            try (Socket peer = server.accept()) {
                MemorySegment buf = arena.allocate(5);
                buf.copyFrom(MemorySegment.ofArray("hello".getBytes()));
                loop.send(1, 5, fd, buf.address(), 5);
                turnUntil(1);
                assertThat(seen.getFirst()[2]).isEqualTo(5);
                InputStream in = peer.getInputStream();
                assertThat(new String(in.readNBytes(5))).isEqualTo("hello");
            } finally {
                sockets.close(fd);
            }
        }
    }

    /**
     * A CONNECT that gets no answer is cancelled by its linked timeout: the
     * CONNECT's CQE is -ECANCELED, the timeout's -ETIME. No answer: a listener
     * whose accept queue is full drops the SYN (and the SYN's retries come later
     * than the 200 ms given here).
     */
    @Test
    void aConnectPastItsLinkedTimeoutIsCancelled() throws Exception {
        open(8, 0);
        List<Socket> fillers = new ArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            for (int i = 0; i < 4; i++) {
                Socket s = new Socket();
                try {
                    s.connect(new InetSocketAddress("127.0.0.1", server.getLocalPort()), 200);
                } catch (IOException full) {
                    // the queue is full: what the connect below needs
                }
                fillers.add(s);
            }
            MemorySegment sa = arena.allocate(hpio.nativeio.Posix.SOCKADDR_IN_SIZE, 8);
            hpio.nativeio.Posix.encodeSockaddrIn(sa, 0x7f00_0001, server.getLocalPort());
            MemorySegment ts = arena.allocate(LinuxIoUring.KERNEL_TIMESPEC);
            ts.set(ValueLayout.JAVA_LONG, 8, 200_000_000L);
            MemorySegment cs = hpio.nativeio.Posix.newCallState(arena);
            int fd = hpio.nativeio.Posix.socket(cs, hpio.nativeio.Posix.AF_INET,
                    hpio.nativeio.Posix.SOCK_STREAM | hpio.nativeio.Posix.SOCK_CLOEXEC, 0);
            assertThat(fd).isNotNegative();
            try {
                loop.connect(1, 2, 3, fd, sa.address(), (int) hpio.nativeio.Posix.SOCKADDR_IN_SIZE, ts.address());
                turnUntil(2);
                assertThat(seen).extracting(s -> s[1] + ":" + s[2])
                        .containsExactlyInAnyOrder("2:-" + LinuxIoUring.ECANCELED, "3:-" + LinuxIoUring.ETIME);
                assertThat(loop.inFlight(1)).isZero();
            } finally {
                hpio.nativeio.Posix.close(cs, fd);
            }
        } finally {
            for (Socket s : fillers) s.close();
        }
    }

    /** An IORING_OP_CLOSE closes the fd with the next turn (the peer reads EOF); a bad fd is reported. */
    @Test
    void aCloseGoesWithTheNextTurn() throws Exception {
        open(8, 0);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int fd = connectTo(server);
            try (Socket peer = server.accept()) {
                loop.closeFd(fd);
                loop.runOnce(0);
                peer.setSoTimeout(10_000);
                assertThat(peer.getInputStream().read()).as("EOF: the socket is closed").isEqualTo(-1);
                assertThat(seen).as("no CQE for a close that succeeded").isEmpty();
                loop.closeFd(fd);                    // closed already: EBADF comes back
                turnUntil(1);
                assertThat(seen.getFirst()[2]).isEqualTo(-hpio.nativeio.Errno.EBADF);
            }
        }
    }

    /**
     * wakeup() from another thread ends a wait that has no timeout. Whether it
     * comes before the wait or during it, the waker's eventfd stays readable until
     * the loop drains it, so the wait ends either way; without a working wakeup it
     * would never end, and the timeout fails the test instead of hanging the build.
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aWakeUpFromAnotherThreadEndsTheWait() throws Exception {
        open(8, 0);
        loop.runOnce(0);                             // the first turn arms the waker
        Thread t = Thread.ofPlatform().start(loop::wakeup);
        loop.runOnce(-1);                            // returns: the wakeup ended it
        t.join();
    }
}
