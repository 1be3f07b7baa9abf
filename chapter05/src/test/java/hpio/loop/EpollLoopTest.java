package hpio.loop;

import static hpio.loop.LoopedSockets.runUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hpio.nativeio.NativeIOException;
import hpio.net.IoBuffer;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class EpollLoopTest extends EventLoopContract {
    @Override String backend() { return "epoll"; }

    @Override boolean reportsHangUp() { return true; }

    @Override
    @Test
    void edgeTriggeredIsRejectedUnlessSupported() throws IOException {
        int listenFd = LoopedSockets.listen(sockets);
        LoopedSockets.Pair p = LoopedSockets.connectedPair(sockets, listenFd);
        try {
            Recorder r = new Recorder();
            loop.add(p.fd(), Events.READ | Events.EDGE, r);
            p.peer().getOutputStream().write(new byte[10]);
            runUntil(loop, () -> r.calls.get() > 0);
            // Not drained, yet no second notification: that is edge-triggered.
            assertThat(loop.runOnce(100)).isZero();
            assertThat(r.calls.get()).isEqualTo(1);
            // New data is a new edge.
            p.peer().getOutputStream().write(new byte[10]);
            runUntil(loop, () -> r.calls.get() > 1);
            IoBuffer buf = IoBuffer.allocate(64);
            assertThat(sockets.read(p.fd(), buf, 0, 64)).isEqualTo(20);
            loop.remove(p.fd());
        } finally {
            sockets.close(p.fd());
            sockets.close(listenFd);
            p.close();
        }
    }

    @Test
    void aKernelRefusalBecomesANamedException() throws IOException {
        int fd = LoopedSockets.listen(sockets);
        sockets.close(fd);
        assertThatThrownBy(() -> loop.add(fd, Events.READ, new Recorder()))
                .isInstanceOf(NativeIOException.class)
                .hasMessage("epoll_ctl(ADD, fd=" + fd + ") failed: EBADF (Bad file descriptor)");
        assertThat(loop.isRegistered(fd)).isFalse();
    }
}
