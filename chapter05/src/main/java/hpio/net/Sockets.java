package hpio.net;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The socket layer everything above the event loop uses. All sockets are
 * non-blocking and named by an int: a real fd for the FFM layer
 * ({@link NativeSockets}), a handle into a channel table for the nio one
 * ({@link NioSockets}). Code above this line does not know which it has.
 *
 * <p>One instance belongs to one loop thread: it reuses scratch memory and is not
 * thread-safe.
 */
public interface Sockets {
    /** Returned by {@link #read}, {@link #write} and {@link #accept} when the call would block (EAGAIN). */
    int AGAIN = -1;

    /** A non-blocking listening TCP socket with SO_REUSEADDR. Port 0 picks a free port. */
    default int listen(InetSocketAddress local, int backlog) throws IOException {
        return listen(local, backlog, false);
    }

    /**
     * As {@link #listen(InetSocketAddress, int)}; with {@code reusePort} also
     * SO_REUSEPORT, so that several sockets (one per loop) may listen on one port
     * and the kernel shares the new connections among them. On Linux (and
     * FreeBSD's SO_REUSEPORT_LB) it spreads them by a hash of the addresses; macOS
     * allows the sharing but gives every connection to one socket.
     */
    int listen(InetSocketAddress local, int backlog, boolean reusePort) throws IOException;

    /** The local port a socket is bound to. */
    int localPort(int fd) throws IOException;

    /**
     * Accepts one pending connection as a non-blocking socket.
     *
     * @param peer filled with the client's address
     * @return the new fd, or {@link #AGAIN} when none is pending
     */
    int accept(int listenFd, PeerAddress peer) throws IOException;

    /**
     * Opens a non-blocking socket and starts connecting it. The connection is
     * usually still in progress (EINPROGRESS): wait for WRITE, then call
     * {@link #finishConnect}.
     */
    int connect(InetSocketAddress remote) throws IOException;
    // Both connect calls throw PeerUnreachableException when the peer is at fault
    // (refused, unreachable, timed out) and a plain IOException when we are (no fd,
    // no local port, no buffer space): a balancer marks a backend down only for the first.

    /**
     * Completes a connect once the socket is writable (reads SO_ERROR).
     *
     * @return true when connected, false when still in progress
     * @throws PeerUnreachableException when the peer refused, or could not be reached in time
     * @throws IOException               for a local failure (see {@link PeerUnreachableException})
     */
    boolean finishConnect(int fd) throws IOException;

    /** @return bytes read (&gt; 0), 0 at EOF, or {@link #AGAIN} */
    int read(int fd, IoBuffer buffer, int offset, int length) throws IOException;

    /** @return bytes written (possibly fewer than asked: a short write), or {@link #AGAIN} */
    int write(int fd, IoBuffer buffer, int offset, int length) throws IOException;

    /** Half-close: sends FIN, so the peer reads EOF while we can still read from it. */
    void shutdownOutput(int fd) throws IOException;

    void close(int fd) throws IOException;

    /** Human-readable kind, "libc via FFM" or "java.nio channels". */
    String kind();
}
