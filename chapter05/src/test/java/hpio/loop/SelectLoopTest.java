package hpio.loop;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SelectLoopTest extends EventLoopContract {
    @Override protected String backend() { return "select"; }

    /** select cannot watch fd 1024 and up: the contract's 2,000 fds become a refusal at FD_SETSIZE. */
    @Override
    @Test
    public void twoThousandRegisteredFdsAndOneReady() throws IOException {
        List<Integer> fds = new ArrayList<>();
        try {
            int fd;
            do {
                fd = LoopedSockets.listen(sockets);
                fds.add(fd);
                if (fd < 1024) loop.add(fd, Events.READ, (f, e) -> {});
            } while (fd < 1024);
            int tooHigh = fd;
            assertThatThrownBy(() -> loop.add(tooHigh, Events.READ, (f, e) -> {}))
                    .isInstanceOf(IOException.class).hasMessageContaining("FD_SETSIZE");
            loop.runOnce(0);   // the loop still works with ~1,000 fds
        } finally {
            for (int fd : fds) {
                if (loop.isRegistered(fd)) loop.remove(fd);
                sockets.close(fd);
            }
        }
    }
}
