package hpio.lb.hooks;

import hpio.net.IoBuffer;
import hpio.net.Sockets;
import java.io.IOException;

/**
 * Bytes on their way to one socket (exercise 2, in the manner of Netty's
 * WriteBufferWaterMark): what the socket did not take at once waits here; above
 * the high watermark the source stops being read, and at or below the low
 * watermark it is read again.
 */
public interface OutboundBuffer {
    /** Bytes held. */
    int size();

    /** Copies {@code length} bytes of {@code source}, from {@code offset}, to the end. */
    void append(IoBuffer source, int offset, int length);

    /**
     * Writes from the front as much as the socket takes now.
     *
     * @return bytes written (0 when the socket took none)
     */
    int writeTo(Sockets sockets, int fd) throws IOException;

    /** Reading from the source should pause: {@link #size()} is at or above the high watermark. */
    boolean aboveHighWatermark();

    /** Reading from the source may resume: {@link #size()} is at or below the low watermark. */
    boolean atOrBelowLowWatermark();

    /** Forgets everything held (the connection is closing); the buffer is reused by the slot's next connection. */
    void clear();
}
