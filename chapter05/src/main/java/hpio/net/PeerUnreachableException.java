package hpio.net;

import hpio.nativeio.Errno;
import hpio.nativeio.NativeIOException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
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
     * For the nio layer, which has no errno: by the JDK's exception types. It throws
     * ConnectException for ECONNREFUSED and ETIMEDOUT, NoRouteToHostException for
     * EHOSTUNREACH; EMFILE and ENOBUFS are a plain SocketException, EADDRNOTAVAIL a
     * BindException: ours.
     */
    static IOException classify(IOException e) {
        if (e instanceof NativeIOException n) return classify(n);
        boolean peers = e instanceof ConnectException || e instanceof NoRouteToHostException
                || e instanceof SocketTimeoutException;
        return peers ? new PeerUnreachableException(e) : e;
    }
}
