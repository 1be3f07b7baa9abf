package hpio.lb.hooks;

/**
 * One direction of a proxied connection: moves bytes from its source socket to its
 * destination. It never throws: a socket error closes the connection, and the
 * pump says so.
 */
public interface Pump {
    /** {@link #pumpOnce()} hit EOF: the source is finished (the FIN is passed on when the bytes before it are). */
    int EOF = 0;
    /** {@link #pumpOnce()} found the source empty: read(2) said EAGAIN. */
    int AGAIN = -1;
    /** {@link #pumpOnce()} must not read now: the destination is full, bytes are held back. */
    int PAUSED = -2;
    /** The connection is closed (a socket error, or it was closed earlier): nothing more will move. */
    int CLOSED = -3;

    /**
     * Reads once from the source (one buffer, 64 KiB at most) and passes the bytes on.
     *
     * @return the number of bytes moved (&gt; 0), or {@link #EOF}, {@link #AGAIN},
     *         {@link #PAUSED} or {@link #CLOSED}
     */
    int pumpOnce();
}
