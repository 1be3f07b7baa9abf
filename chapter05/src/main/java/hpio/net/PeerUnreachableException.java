package hpio.net;

import hpio.nativeio.Errno;
import hpio.nativeio.NativeIOException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/**
 * A connect failed because of the other end or the way to it: refused, reset,
 * timed out, no route. The one place failures are sorted into the peer's and ours
 * (Netty's {@code Errors} is the model): {@link Sockets#connect} and
 * {@link Sockets#finishConnect} throw this for the peer's faults, and a plain
 * {@link IOException} for everything else. Anything else is a local resource
 * failure (EMFILE, ENFILE, ENOBUFS, EADDRNOTAVAIL, no memory) or a bug of ours,
 * and a load balancer must never mark a healthy backend down for it.
 */
public final class PeerUnreachableException extends IOException {
    // The C library's texts of the two errnos the JDK reports only in a message.
    private static final String NETWORK_UNREACHABLE = Errno.text(Errno.ENETUNREACH);
    private static final String CONNECTION_RESET = Errno.text(Errno.ECONNRESET);

    /**
     * Loads this class (and the errno texts) now. A socket layer calls it when it is
     * made: these are needed on the failure path, when there may be no fd left for
     * the JVM to open a class file with (the class path may be a directory).
     */
    static void prepare() {}

    private PeerUnreachableException(IOException cause) {
        super(cause.getMessage(), cause);
    }

    /** For the FFM layer: by errno. */
    static IOException classify(NativeIOException e) {
        int errno = e.errno();
        boolean peers = errno == Errno.ECONNREFUSED || errno == Errno.ETIMEDOUT || errno == Errno.ENETUNREACH
                || errno == Errno.EHOSTUNREACH || errno == Errno.ECONNRESET;
        return peers ? new PeerUnreachableException(e) : e;
    }

    /**
     * For the nio layer, which has no errno: by the JDK's exception types, which
     * its native code picks by errno (sun.nio.ch's Net.c): ConnectException for
     * ECONNREFUSED and ETIMEDOUT, NoRouteToHostException for EHOSTUNREACH, a
     * BindException for EADDRNOTAVAIL (ours). ENETUNREACH and ECONNRESET come as a
     * plain SocketException, like EMFILE and ENOBUFS (ours), so for those two the
     * C library's text in the message tells them apart: the same table as above.
     */
    static IOException classify(IOException e) {
        if (e instanceof NativeIOException n) return classify(n);
        boolean peers = e instanceof ConnectException || e instanceof NoRouteToHostException
                || e instanceof SocketTimeoutException
                || (e instanceof SocketException && e.getMessage() != null
                        && (e.getMessage().contains(NETWORK_UNREACHABLE) || e.getMessage().contains(CONNECTION_RESET)));
        return peers ? new PeerUnreachableException(e) : e;
    }
}
