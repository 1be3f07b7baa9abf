package hpio.exercises.ex2;

import hpio.lb.hooks.OutboundBuffer;
import hpio.net.IoBuffer;
import hpio.net.Sockets;
import java.io.IOException;

/**
 * Exercise 2: write buffering ({@code --write-buffer}).
 *
 * <p>Bytes the destination did not take wait here. The balancer keeps reading the
 * source until this buffer holds the high watermark, and resumes once it has
 * drained to the low one (Netty's WriteBufferWaterMark). One off-heap ring of the
 * high watermark plus one read (64 KiB) is enough: the balancer checks the
 * watermark after every read, so it never appends more than that.
 *
 * <p>Hints: {@code make hint EX=2}. Check: {@code make exercise EX=2}.
 */
public final class WriteBuffer implements OutboundBuffer {
    private static final int ONE_READ = 64 * 1024;

    private final int highWatermark;
    private final int lowWatermark;
    private IoBuffer ring;        // made on first use; kept for the slot's next connection
    private int head;             // index of the oldest byte
    private int size;

    public WriteBuffer(int highWatermark, int lowWatermark) {
        if (lowWatermark < 0 || lowWatermark > highWatermark) {
            throw new IllegalArgumentException("need 0 <= low <= high, got low " + lowWatermark
                    + " and high " + highWatermark);
        }
        this.highWatermark = highWatermark;
        this.lowWatermark = lowWatermark;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public void append(IoBuffer source, int offset, int length) {
        if (ring == null) ring = IoBuffer.allocate(highWatermark + ONE_READ);
        if (length > ring.capacity() - size) {
            throw new IllegalStateException("write buffer overflow: " + size + " held + " + length
                    + " new > capacity " + ring.capacity() + " (reading should have paused at the high watermark)");
        }
        int tail = (head + size) % ring.capacity();
        int first = Math.min(length, ring.capacity() - tail);        // up to the end of the ring
        source.copyTo(offset, ring, tail, first);
        source.copyTo(offset + first, ring, 0, length - first);      // the rest wraps to the start
        size += length;
    }

    @Override
    public int writeTo(Sockets sockets, int fd) throws IOException {
        int total = 0;
        while (size > 0) {
            int contiguous = Math.min(size, ring.capacity() - head);
            int n = sockets.write(fd, ring, head, contiguous);
            if (n == Sockets.AGAIN || n == 0) break;
            head = (head + n) % ring.capacity();
            size -= n;
            total += n;
            if (n < contiguous) break;                                 // the socket is full
        }
        if (size == 0) head = 0;
        return total;
    }

    @Override
    public boolean aboveHighWatermark() {
        return size >= highWatermark;
    }

    @Override
    public boolean atOrBelowLowWatermark() {
        return size <= lowWatermark;
    }

    @Override
    public void clear() {
        // Keep the ring: this buffer belongs to a pooled connection slot, and native
        // memory dropped to the GC would only come back when a collection runs.
        head = size = 0;
    }
}
