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
    private IoBuffer ring;        // make it on first use (IoBuffer.allocate); keep it for the slot's next connection
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
        // TODO(ex2): copy the bytes in after the last held one (IoBuffer.copyTo), wrapping round the ring's end.
        throw new UnsupportedOperationException("TODO(ex2): WriteBuffer.append");
    }

    @Override
    public int writeTo(Sockets sockets, int fd) throws IOException {
        // TODO(ex2): write from head with sockets.write until empty or the socket takes less (AGAIN); return the count.
        throw new UnsupportedOperationException("TODO(ex2): WriteBuffer.writeTo");
    }

    @Override
    public boolean aboveHighWatermark() {
        // TODO(ex2): true when size has reached the high watermark.
        throw new UnsupportedOperationException("TODO(ex2): WriteBuffer.aboveHighWatermark");
    }

    @Override
    public boolean atOrBelowLowWatermark() {
        // TODO(ex2): true when size has drained to the low watermark or below.
        throw new UnsupportedOperationException("TODO(ex2): WriteBuffer.atOrBelowLowWatermark");
    }

    @Override
    public void clear() {
        // TODO(ex2): forget every byte (head and size back to 0); keep the ring for the next connection.
        throw new UnsupportedOperationException("TODO(ex2): WriteBuffer.clear");
    }
}
