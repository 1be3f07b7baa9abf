package hpio.lb;

import hpio.lb.hooks.FlowPort;
import hpio.lb.hooks.WriteQueue;
import hpio.net.IoBuffer;
import hpio.net.Sockets;
import java.io.IOException;
import java.util.ArrayDeque;

/**
 * The baseline's {@link WriteQueue}: it holds one read's leftover at most. The
 * shared read buffer is about to be reused, so the leftover moves to a spare
 * buffer; the source pauses and the destination is watched for WRITE until the
 * leftover is gone. Memory per connection stays at one buffer, only while a
 * destination is slower than its source.
 */
final class SpareBufferQueue implements WriteQueue {
    /**
     * The spare 64 KiB buffers, shared by every flow. Every spare ever made is kept
     * for reuse: their number is the peak of flows paused at once, and native memory
     * dropped to the GC would only come back whenever a collection happens to run.
     */
    static final class Spares {
        private final ArrayDeque<IoBuffer> free = new ArrayDeque<>();

        IoBuffer take() {
            IoBuffer b = free.pollFirst();
            return b != null ? b : IoBuffer.allocate(Forwarder.BUFFER_SIZE);
        }

        void giveBack(IoBuffer b) { free.addFirst(b); }
    }

    private final FlowPort port;
    private final Spares spares;
    private IoBuffer held;
    private int offset;
    private int length;

    SpareBufferQueue(FlowPort port, Spares spares) {
        this.port = port;
        this.spares = spares;
    }

    @Override
    public void hold(IoBuffer source, int from, int count) {
        // The source is paused while anything is held, so a second leftover cannot come.
        if (held != null) throw new IllegalStateException("a second leftover while the source is paused");
        held = spares.take();
        source.copyTo(from, held, 0, count);
        offset = 0;
        length = count;
        port.pauseSource(true);
        port.watchWrite(true);
    }

    @Override
    public void onWritable() throws IOException {
        if (held == null) return;
        int written = port.write(held, offset, length);
        if (written == Sockets.AGAIN) return;
        offset += written;
        length -= written;
        if (length == 0) {
            clear();
            port.watchWrite(false);
            port.pauseSource(false);
        }
    }

    @Override
    public int size() { return length; }

    @Override
    public void clear() {
        if (held != null) spares.giveBack(held);
        held = null;
        offset = length = 0;
    }
}
