package hpio.loop.backends;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import hpio.nativeio.Posix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * The wake-up of the select, poll and epoll backends, on the real kernel (an
 * eventfd here; the pipe variant runs on macOS and FreeBSD only).
 */
class FdWakerTest {
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment cs = Posix.newCallState(arena);

    private boolean readable(int fd) {
        MemorySegment pfd = arena.allocate(Posix.POLLFD);
        pfd.set(JAVA_INT, 0, fd);
        pfd.set(JAVA_SHORT, 4, Posix.POLLIN);
        assertThat(Posix.poll(cs, pfd, 1, 0)).isNotNegative();
        return (pfd.get(JAVA_SHORT, 6) & Posix.POLLIN) != 0;
    }

    @Test
    void itsFdIsCloseOnExecSoAChildProcessDoesNotInheritIt() throws Exception {
        try (FdWaker w = new FdWaker()) {
            int flags = Posix.fcntl(cs, w.fd(), Posix.F_GETFD, 0);
            assertThat(flags).isNotNegative();
            assertThat(flags & Posix.FD_CLOEXEC).as("FD_CLOEXEC on fd " + w.fd()).isNotZero();
        }
    }

    @Test
    void wakeMakesItReadableAndDrainEmptiesItEvenAfterManyWakes() throws Exception {
        try (FdWaker w = new FdWaker()) {
            assertThat(readable(w.fd())).isFalse();
            w.wake();
            w.wake();                                  // a second one while pending: free
            assertThat(readable(w.fd())).isTrue();
            w.drain();
            assertThat(readable(w.fd())).isFalse();
            w.wake();                                  // re-armed by the drain
            assertThat(readable(w.fd())).isTrue();
        }
    }

    @Test
    void closeReleasesItsFdAndALateWakeIsHarmless() throws Exception {
        FdWaker w = new FdWaker();
        int fd = w.fd();
        w.close();
        w.close();                                     // twice: a no-op
        w.wake();                                      // after close: must not write to a reused number
        assertThat(Posix.fcntl(cs, fd, Posix.F_GETFD, 0)).as("fd " + fd + " is closed").isNegative();
    }
}
