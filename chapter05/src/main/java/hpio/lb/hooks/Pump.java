package hpio.lb.hooks;

import java.io.IOException;

/** One direction of a proxied connection: moves bytes from its source socket to its destination. */
public interface Pump {
    /** {@link #pumpOnce()} hit EOF: the source is finished (the FIN is passed on when the bytes before it are). */
    int EOF = 0;
    /** {@link #pumpOnce()} found the source empty (read returned EAGAIN). */
    int AGAIN = -1;
    /** {@link #pumpOnce()} must not read now: the destination is full, bytes are held back. */
    int PAUSED = -2;

    /**
     * Reads once from the source (one buffer at most) and passes the bytes on.
     *
     * @return the number of bytes moved (&gt; 0), or {@link #EOF}, {@link #AGAIN} or {@link #PAUSED}
     */
    int pumpOnce() throws IOException;
}
