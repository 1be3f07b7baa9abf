package hpio.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The splice bindings on real fds: a pipe's size, EAGAIN as a value, bytes through, EOF, and nio refused. */
@EnabledOnOs(OS.LINUX)
class SplicePipeTest {
    interface Call { int get() throws Exception; }

    /** Repeats a non-blocking call until it returns something other than AGAIN (or false, 0), with a deadline. */
    static int until(Call call) throws Exception {
        long deadline = System.nanoTime() + hpio.testing.Peers.DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            int r = call.get();
            if (r != Sockets.AGAIN) return r;
            Thread.onSpinWait();
        }
        throw new AssertionError("still AGAIN after " + hpio.testing.Peers.DEADLINE);
    }
    @Test
    void bytesGoSocketToPipeToSocketAndEmptyOrEndAreValuesNotErrors() throws Exception {
        NativeSockets sockets = new NativeSockets();
        Splice splice = Splice.open(sockets);
        int listen = sockets.listen(new InetSocketAddress("127.0.0.1", 0), 8);
        int a = sockets.connect(new InetSocketAddress("127.0.0.1", sockets.localPort(listen)));
        int b = until(() -> sockets.accept(listen, new PeerAddress()));
        until(() -> sockets.finishConnect(a) ? 1 : Sockets.AGAIN);
        Splice.Pipe pipe = splice.pipe(256 * 1024);
        try {
            assertThat(pipe.capacity()).as("F_SETPIPE_SZ took (root or under pipe-max-size)").isEqualTo(256 * 1024);
            assertThat(splice.toPipe(b, pipe, pipe.capacity())).as("nothing sent yet").isEqualTo(Sockets.AGAIN);

            IoBuffer out = IoBuffer.allocate(5);
            for (int i = 0; i < 5; i++) out.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) ("hello".charAt(i)));
            assertThat(sockets.write(a, out, 0, 5)).isEqualTo(5);
            assertThat(until(() -> splice.toPipe(b, pipe, pipe.capacity()))).isEqualTo(5);
            assertThat(splice.fromPipe(pipe, b, 5)).as("pipe to socket (back to a)").isEqualTo(5);
            IoBuffer in = IoBuffer.allocate(5);
            assertThat(until(() -> sockets.read(a, in, 0, 5))).as("one segment on loopback").isEqualTo(5);
            byte[] back = new byte[5];
            for (int i = 0; i < 5; i++) back[i] = in.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, i);
            assertThat(new String(back)).isEqualTo("hello");

            sockets.shutdownOutput(a);
            assertThat(until(() -> splice.toPipe(b, pipe, pipe.capacity()))).as("EOF").isZero();
        } finally {
            splice.close(pipe);
            sockets.close(a);
            sockets.close(b);
            sockets.close(listen);
        }
    }

    @Test
    void nioHasNoFdsToSplice() {
        assertThatThrownBy(() -> Splice.open(new NioSockets())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nio");
        assertThat(Splice.unavailableReason("epoll")).isNull();
    }
}
