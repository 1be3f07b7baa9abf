package hpio.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hpio.nativeio.NativeIOException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class EpollLoopTest extends EventLoopContract {
    @Override protected String backend() { return "epoll"; }

    @Override protected boolean reportsHangUp() { return true; }

    @Override protected boolean supportsEdge() { return true; }

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
