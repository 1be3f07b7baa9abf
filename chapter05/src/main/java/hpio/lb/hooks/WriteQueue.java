package hpio.lb.hooks;

import hpio.net.IoBuffer;
import java.io.IOException;

/**
 * One direction's outgoing side (exercise 4): the bytes the destination did not
 * take at once, and when to ask the loop for WRITE. The balancer writes each read
 * straight to the destination; only what that write left over comes here.
 *
 * <pre>
 *  read --&gt; write(dst) --all taken--&gt; done
 *                  \\--left over--&gt; hold() ... WRITE fires ... onWritable()
 * </pre>
 *
 * In the manner of Netty's WriteBufferWaterMark: above the high watermark the
 * source stops being read; at or below the low one it is read again.
 */
public interface WriteQueue {
    /**
     * Keeps {@code length} bytes of {@code source} from {@code offset}: the destination
     * did not take them (or bytes were waiting already, and order comes first).
     */
    void hold(IoBuffer source, int offset, int length);

    /** The destination is writable: write what is held, as much as it takes. */
    void onWritable() throws IOException;

    /** Bytes held. */
    int size();

    /** Forgets everything (the connection is closing); the queue may be reused by the slot's next connection. */
    void clear();
}
