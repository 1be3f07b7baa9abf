package hpio.exercises.ex4;

import hpio.lb.hooks.FlowPort;
import hpio.lb.hooks.WriteQueue;
import hpio.net.IoBuffer;
import hpio.net.Sockets;
import java.io.IOException;

/**
 * Exercise 4: write buffering, and writing only when WRITE is signalled
 * ({@code --write-buffer}).
 *
 * <p>Bytes the destination did not take wait here, in one off-heap ring. While
 * any wait, the destination is watched for WRITE; once none wait, it is not (a
 * socket with room is writable all the time: left on, WRITE would wake the loop
 * on every turn). The source is read until the ring holds the high watermark and
 * read again once it has drained to the low one (Netty's WriteBufferWaterMark).
 * The ring needs the high watermark plus one read (64 KiB): the balancer reads at
 * most that much before it sees the source paused.
 *
 * <p>Hints: {@code make hint EX=4}. Check: {@code make exercise EX=4}.
 */
public final class WriteBuffer implements WriteQueue {
    private static final int ONE_READ = 64 * 1024;

    private final FlowPort port;
    private final int highWatermark;
    private final int lowWatermark;
    private IoBuffer ring;        // made on first use; kept for the slot's next connection
    private int head;             // index of the oldest byte
    private int size;

    public WriteBuffer(FlowPort port, int highWatermark, int lowWatermark) {
        if (lowWatermark < 0 || lowWatermark > highWatermark) {
            throw new IllegalArgumentException("need 0 <= low <= high, got low " + lowWatermark
                    + " and high " + highWatermark);
        }
        this.port = port;
        this.highWatermark = highWatermark;
        this.lowWatermark = lowWatermark;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public void hold(IoBuffer source, int offset, int length) {
        if (ring == null) ring = IoBuffer.allocate(highWatermark + ONE_READ);
        if (length > ring.capacity() - size) {
            throw new IllegalStateException("write buffer overflow: " + size + " held + " + length
                    + " new > capacity " + ring.capacity() + " (reading should have paused at the high watermark)");
        }
        int tail = (head + size) % ring.capacity();
        int first = Math.min(length, ring.capacity() - tail);        // up to the end of the ring
        source.copyTo(offset, ring, tail, first);
        source.copyTo(offset, ring, 0, length - first);              // MUTANT: the rest taken from the source's start
        size += length;
        port.watchWrite(true);                                       // tell me when there is room
        // The balancer checks this after every hold: at most one more read lands past the mark.
        if (size >= highWatermark) port.pauseSource(true);
    }

    @Override
    public void onWritable() throws IOException {
        while (size > 0) {
            // From the head to the end of the ring at most: a wrapped run goes in two writes.
            int contiguous = Math.min(size, ring.capacity() - head);
            int n = port.write(ring, head, contiguous);
            // AGAIN: the send buffer is full; WRITE fires when the peer's ACKs make room.
            // A short write only says this write was cut: the next one may still be taken.
            if (n == Sockets.AGAIN || n == 0) break;
            head = (head + n) % ring.capacity();
            size -= n;
        }
        if (size == 0) {
            head = 0;                                                // the next bytes go in one piece
            // A socket with room is writable all the time: left on, WRITE would wake the
            // loop on every turn with nothing to write.
            port.watchWrite(false);
        }
        // Hysteresis: resume only at the low mark, so one write does not flip the source
        // between paused and read.
        if (size <= lowWatermark) port.pauseSource(false);
    }

    @Override
    public void clear() {
        // Keep the ring: this buffer belongs to a pooled connection slot, and native
        // memory dropped to the GC would only come back when a collection runs.
        head = size = 0;
    }
}
