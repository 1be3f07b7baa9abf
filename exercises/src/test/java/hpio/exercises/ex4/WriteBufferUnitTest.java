package hpio.exercises.ex4;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.lb.hooks.FlowPort;
import hpio.net.IoBuffer;
import hpio.net.Sockets;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Exercise 4 with a fake destination: a {@link FlowPort} that records what was
 * written and how the interests were set, takes at most a set number of bytes per
 * write and answers AGAIN once its "send buffer" is full. The bytes are a
 * numbered stream, so any byte out of place is found, with its position.
 */
@Timeout(10)
class WriteBufferUnitTest {
    private static final int HIGH = 16 * 1024;
    private static final int LOW = 4 * 1024;
    private static final int ONE_READ = 64 * 1024;           // the most the balancer reads at once
    private static final int CAPACITY = HIGH + ONE_READ;     // what the ring needs, no more

    private final RecordingPort port = new RecordingPort();
    private final WriteBuffer queue = new WriteBuffer(port, HIGH, LOW);
    private final IoBuffer source = IoBuffer.allocate(ONE_READ);
    private long sent;                                       // stream bytes handed to hold() so far

    /** The next {@code length} bytes of the numbered stream, held at a random offset of the source buffer. */
    private void hold(int length) {
        int offset = length == ONE_READ ? 0 : (int) (sent % (ONE_READ - length + 1));
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = streamByte(sent + i);
        source.put(offset, bytes, 0, length);
        try {
            queue.hold(source, offset, length);
        } catch (IndexOutOfBoundsException e) {
            throw new AssertionError("hold() copied past the end of the ring (" + queue.size() + " bytes held, "
                    + length + " more): the part that does not fit before the end goes to the start, index 0", e);
        }
        sent += length;
    }

    private static byte streamByte(long position) {
        return (byte) (position * 31 + (position >>> 8));     // no short period: a misplaced block shows
    }

    /** The destination must have received exactly the stream's first bytes, in order. */
    private void assertReceivedInOrder(String when) {
        byte[] got = port.received.toByteArray();
        for (int i = 0; i < got.length; i++) {
            if (got[i] != streamByte(i)) {
                throw new AssertionError("bytes out of order " + when + ": byte " + i + " of the stream is wrong"
                        + " (the ring holds " + CAPACITY + " bytes): the part past the end of the ring"
                        + " goes to its start, and is written after what was before it");
            }
        }
    }

    @Test
    void heldBytesAskForWrite() {
        hold(1000);
        assertThat(queue.size()).as("size() after holding 1000 bytes").isEqualTo(1000);
        assertThat(port.watching)
                .as("held bytes but WRITE interest is off: nothing will ever write them").isTrue();
        assertThat(port.paused).as("paused the source with 1000 bytes held, far below the high watermark").isFalse();
    }

    @Test
    void writableWritesWhatThePortTakesThenStopsAsking() throws Exception {
        hold(10_000);
        port.perWrite = 1000;                                 // short writes, ...
        port.room = 3500;                                     // ... then AGAIN
        queue.onWritable();
        assertThat(port.received.size())
                .as("wrote %d bytes where the port took 3,500 (1,000 a write, then AGAIN): a short write is not AGAIN;"
                        + " write while the port takes bytes and bytes are held", port.received.size())
                .isEqualTo(3500);
        assertReceivedInOrder("after short writes");
        assertThat(queue.size()).as("size() after 3,500 of 10,000 bytes were written").isEqualTo(6500);
        assertThat(port.watching)
                .as("WRITE interest off with 6,500 bytes still held: nothing will write them").isTrue();

        port.room = Integer.MAX_VALUE;
        queue.onWritable();
        assertThat(port.received.size()).as("bytes written once the port had room for all").isEqualTo(10_000);
        assertReceivedInOrder("after the second WRITE");
        assertThat(queue.size()).as("size() once everything was written").isZero();
        assertThat(port.watching)
                .as("WRITE interest still on with nothing to write: the loop will wake for nothing on every turn")
                .isFalse();
    }

    @Test
    void againKeepsEverythingAndWriteInterest() throws Exception {
        hold(5000);
        port.room = 0;
        queue.onWritable();
        assertThat(queue.size())
                .as("size() changed although the port said AGAIN (%d) and took nothing", Sockets.AGAIN)
                .isEqualTo(5000);
        assertThat(port.watching).as("WRITE interest off after AGAIN with 5,000 bytes held: nothing will write them")
                .isTrue();
        port.room = Integer.MAX_VALUE;
        queue.onWritable();
        assertThat(port.received.size()).as("bytes written on the next WRITE").isEqualTo(5000);
        assertReceivedInOrder("after AGAIN");
    }

    @Test
    void theSourcePausesAtTheHighWatermark() {
        port.room = 0;
        while (queue.size() + 1024 < HIGH) {
            hold(1024);
            assertThat(port.paused)
                    .as("paused the source with %d bytes held, below the high watermark (%d)", queue.size(), HIGH)
                    .isFalse();
        }
        hold(HIGH - queue.size());                            // exactly at the high watermark
        assertThat(port.paused)
                .as("held %d bytes (the high watermark) without pausing the source: a slow destination makes"
                        + " the buffer grow without bound", queue.size())
                .isTrue();
    }

    @Test
    void theSourceResumesAtOrBelowTheLowWatermark() throws Exception {
        port.room = 0;
        hold(HIGH);
        assertThat(port.paused).as("no pause at the high watermark").isTrue();
        port.room = HIGH - LOW - 1;
        queue.onWritable();
        assertThat(queue.size()).as("size() after the port took %d bytes", HIGH - LOW - 1).isEqualTo(LOW + 1);
        assertThat(port.paused)
                .as("resumed the source with %d bytes held, above the low watermark (%d): with no gap between"
                        + " the two marks the source flaps between paused and read on every write", LOW + 1, LOW)
                .isTrue();
        port.room = 1;
        queue.onWritable();
        assertThat(port.paused)
                .as("still paused with %d bytes held, the low watermark: resume at or below it, or the source"
                        + " waits for the destination to drain completely", LOW)
                .isFalse();
    }

    @Test
    void theOrderIsKeptAcrossTheWrap() throws Exception {
        port.room = 0;
        hold(ONE_READ - 4096);                                // 60 KiB from index 0
        port.room = 57 * 1024;                                // 57 KiB out: the head moves on, 3 KiB held
        queue.onWritable();
        assertThat(port.paused).as("still paused with 3 KiB held, below the low watermark (4 KiB)").isFalse();
        port.room = 0;
        hold(ONE_READ - 4096);                                // 60 KiB from index 60 KiB: 20 KiB to the end, 40 from 0
        assertThat(queue.size()).as("size() after the ring wrapped").isEqualTo(63 * 1024);
        port.room = Integer.MAX_VALUE;
        queue.onWritable();                                   // the end of the ring, then its start
        assertThat(port.received.size()).as("bytes written once the port had room for all").isEqualTo(120 * 1024);
        assertReceivedInOrder("after the ring wrapped");
        assertThat(port.watching)
                .as("WRITE interest still on with nothing to write: the loop will wake for nothing on every turn")
                .isFalse();
    }

    @Test
    void oneReadPastTheHighWatermarkFits() {
        port.room = 0;
        hold(HIGH - 1);
        assertThat(port.paused).as("paused below the high watermark").isFalse();
        try {
            hold(ONE_READ);
        } catch (UnsupportedOperationException e) {
            throw e;                                         // not written yet: the stub's own message
        } catch (RuntimeException e) {
            throw new AssertionError("could not hold one read (64 KiB) past the high watermark: the balancer"
                    + " reads once more before it sees the pause, so the ring needs high watermark + one read", e);
        }
        assertThat(port.paused).as("held %d bytes without pausing the source", queue.size()).isTrue();
    }

    /** The balancer's side, simulated: read (hold) only while not paused, write on WRITE; random sizes. */
    @Test
    void aLongStreamThroughASlowPortArrivesWholeAndInOrder() throws Exception {
        Random random = new Random(7);
        long target = 4L * 1024 * 1024;
        while (sent < target || queue.size() > 0) {
            if (sent < target && !port.paused) {
                int n = (int) Math.min(target - sent, 1 + random.nextInt(ONE_READ));
                int before = queue.size();
                try {
                    hold(n);
                } catch (UnsupportedOperationException e) {
            throw e;                                         // not written yet: the stub's own message
        } catch (RuntimeException e) {
                    throw new AssertionError("overflow with " + before + " bytes held + " + n + " more, though the"
                            + " source was read only while not paused: pause at the high watermark (" + HIGH + ")"
                            + " and make the ring high watermark + one read", e);
                }
                if (queue.size() >= HIGH && !port.paused) {
                    throw new AssertionError("held " + queue.size() + " bytes (high watermark " + HIGH + ") without"
                            + " pausing the source: a slow destination makes the buffer grow without bound");
                }
            } else {
                if (!port.watching) {
                    throw new AssertionError(queue.size() + " bytes held and WRITE interest off: nothing will ever"
                            + " write them (the stream stalls)");
                }
                port.perWrite = 1 + random.nextInt(20_000);
                port.room = random.nextInt(40_000);          // sometimes AGAIN at once
                queue.onWritable();
            }
        }
        assertThat(port.received.size()).as("bytes that came out of the buffer").isEqualTo((int) target);
        assertReceivedInOrder("in a long stream (the ring wrapped many times)");
        assertThat(port.watching)
                .as("WRITE interest still on with nothing to write: the loop will wake for nothing on every turn")
                .isFalse();
        assertThat(port.paused).as("the source still paused with the buffer empty").isFalse();
    }

    @Test
    void clearForgetsTheBytesAndTheBufferIsReused() throws Exception {
        port.room = 0;
        hold(3000);
        queue.clear();
        assertThat(queue.size()).as("size() after clear()").isZero();
        // The slot's next connection: a new stream, from byte 0.
        sent = 0;
        port.received.reset();
        hold(2000);
        port.room = Integer.MAX_VALUE;
        queue.onWritable();
        assertThat(port.received.size()).as("bytes written after clear() and 2,000 new ones").isEqualTo(2000);
        assertReceivedInOrder("after clear() (the old bytes must be gone)");
    }

    /** A destination socket: at most {@link #perWrite} bytes a write, {@link #room} in all, then AGAIN. */
    static final class RecordingPort implements FlowPort {
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        int perWrite = Integer.MAX_VALUE;
        int room = Integer.MAX_VALUE;
        boolean watching;
        boolean paused;
        private int againsInARow;

        @Override
        public int write(IoBuffer buffer, int offset, int length) {
            if (length < 0 || offset < 0 || offset + length > buffer.capacity()) {
                throw new AssertionError("write(buffer, " + offset + ", " + length + ") is outside the ring (capacity "
                        + buffer.capacity() + "): a piece that wraps is written in two, up to the end, then from 0");
            }
            int n = Math.min(length, Math.min(perWrite, room));
            if (n == 0 && length > 0) {
                if (++againsInARow > 3) {
                    throw new AssertionError("kept writing after AGAIN: the socket is full until WRITE fires again");
                }
                return Sockets.AGAIN;
            }
            againsInARow = 0;
            byte[] bytes = new byte[n];
            buffer.get(offset, bytes, 0, n);
            received.writeBytes(bytes);
            room -= n;
            return n;
        }

        @Override public void watchWrite(boolean on) { watching = on; }

        @Override public void pauseSource(boolean paused) { this.paused = paused; }

        @Override
        public String toString() {
            return "RecordingPort" + Arrays.asList(received.size(), perWrite, room, watching, paused);
        }
    }
}
