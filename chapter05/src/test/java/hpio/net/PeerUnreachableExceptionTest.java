package hpio.net;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.nativeio.Errno;
import hpio.nativeio.NativeIOException;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import org.junit.jupiter.api.Test;

/** The one table of whose fault a failed connect is, for both socket layers. */
class PeerUnreachableExceptionTest {
    private static boolean peers(IOException e) {
        return PeerUnreachableException.classify(e) instanceof PeerUnreachableException;
    }

    @Test
    void theFfmLayerSortsByErrno() {
        for (int errno : new int[] {Errno.ECONNREFUSED, Errno.ETIMEDOUT, Errno.ENETUNREACH, Errno.EHOSTUNREACH,
                Errno.ECONNRESET}) {
            assertThat(peers(new NativeIOException("connect(fd=7)", errno))).as(Errno.name(errno)).isTrue();
        }
        for (int errno : new int[] {Errno.EMFILE, Errno.ENFILE, Errno.EADDRNOTAVAIL, Errno.ENOMEM}) {
            assertThat(peers(new NativeIOException("socket(AF_INET)", errno))).as(Errno.name(errno) + " is ours").isFalse();
        }
    }

    /** The nio layer sees what the JDK throws for the same errnos; it must come to the same answer. */
    @Test
    void theNioLayerComesToTheSameAnswer() {
        assertThat(peers(new ConnectException("Connection refused"))).isTrue();
        assertThat(peers(new NoRouteToHostException("No route to host"))).isTrue();
        assertThat(peers(new SocketException(Errno.text(Errno.ENETUNREACH)))).as("ENETUNREACH").isTrue();
        assertThat(peers(new SocketException(Errno.text(Errno.ECONNRESET)))).as("ECONNRESET").isTrue();
        assertThat(peers(new SocketException(Errno.text(Errno.EMFILE)))).as("EMFILE is ours").isFalse();
        assertThat(peers(new BindException(Errno.text(Errno.EADDRNOTAVAIL)))).as("EADDRNOTAVAIL is ours").isFalse();
    }
}
