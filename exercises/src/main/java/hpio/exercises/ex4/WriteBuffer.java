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
 * <p>The balancer writes each read straight to the destination; the bytes the
 * destination did not take come here ({@link #hold}), and wait in one off-heap
 * ring until the loop says the destination is writable ({@link #onWritable}).
 * Two decisions are yours, told to the balancer through the {@link FlowPort}:
 * <ul>
 *   <li>WRITE interest ({@link FlowPort#watchWrite}): a socket with room in its
 *       send buffer is writable all the time, so while WRITE is watched the loop
 *       wakes on every turn. Watch it exactly while bytes wait here.
 *   <li>backpressure ({@link FlowPort#pauseSource}): stop reading the source when
 *       the ring holds the high watermark, read it again once it has drained to
 *       the low one (Netty's WriteBufferWaterMark).
 * </ul>
 *
 * <pre>
 *   ring (capacity = high watermark + one read)
 *   +---------------------------------------------------------------+
 *   |#####..............................................###########|
 *   +---------------------------------------------------------------+
 *    ^tail: next byte goes here                         ^head: oldest byte
 *   size = the bytes from head, round the end, to tail (here they wrap)
 *
 *   0 ...... low ............ high ...... high + one read
 *            ^ resume reading  ^ pause reading (one more read may land past it)
 * </pre>
 *
 * <p>{@link FlowPort#write} answers the bytes the socket took (possibly fewer than
 * asked: a short write) or {@link Sockets#AGAIN} when its send buffer is full.
 *
 * <p>Tests: {@code WriteBufferUnitTest} (a fake destination: fast, each failure
 * names the mistake) and {@code WriteBufferTest} (the balancer, end to end).
 * Hints: {@code make hint EX=4}. Check: {@code make exercise EX=4}.
 */
public final class WriteBuffer implements WriteQueue {
    /** The most the balancer reads at once (and so may hold past the high watermark). */
    private static final int ONE_READ = 64 * 1024;

    private final FlowPort port;
    private final int highWatermark;
    private final int lowWatermark;
    private IoBuffer ring;        // made on first use (most flows never need one); kept for the slot's next connection
    private int head;             // index of the oldest byte held
    private int size;             // bytes held

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
        // TODO(ex4): afterwards the ring holds these bytes after those already held, in
        // order, whether or not they run past the end of the ring (IoBuffer.copyTo copies
        // between buffers); size() counts them; WRITE is watched, since bytes now wait;
        // and from the high watermark on, the source is paused.
        // The balancer holds at most one read past the high watermark (it checks the
        // pause after each hold): more than the ring can take is a bug to report loudly
        // (an exception), never bytes silently dropped.
        throw new UnsupportedOperationException("TODO(ex4): hold: keep the bytes, in order, and ask for WRITE");
    }

    @Override
    public void onWritable() throws IOException {
        // TODO(ex4): the destination has room. Afterwards:
        //  - the bytes written left in the order they came, as many as the port took:
        //    it stops taking them only when it answers AGAIN (a short write is not AGAIN),
        //    and never is a write asked to cross the end of the ring;
        //  - WRITE is watched if and only if bytes are still held;
        //  - the source is no longer paused if what is held is at or below the low watermark.
        throw new UnsupportedOperationException("TODO(ex4): onWritable: write what the port takes, then decide WRITE and pause");
    }

    @Override
    public void clear() {
        // Keep the ring: this buffer belongs to a pooled connection slot, and native
        // memory dropped to the GC would only come back when a collection runs.
        head = size = 0;
    }
}
