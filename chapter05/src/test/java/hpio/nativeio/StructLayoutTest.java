package hpio.nativeio;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import org.junit.jupiter.api.Test;

/** Every struct we hand to the kernel, against the sizes and offsets in the platform headers. */
class StructLayoutTest {

    @Test
    void epollEventIsPackedTwelveBytesOnX86_64() {
        StructLayout l = LinuxEpoll.epollEventLayout("x86_64");
        assertThat(l.byteSize()).isEqualTo(12);
        assertThat(l.byteOffset(groupElement("events"))).isZero();
        assertThat(l.byteOffset(groupElement("data"))).isEqualTo(4);
    }

    @Test
    void epollEventIsSixteenBytesWithDataAtEightOnAarch64() {
        StructLayout l = LinuxEpoll.epollEventLayout("aarch64");
        assertThat(l.byteSize()).isEqualTo(16);
        assertThat(l.byteOffset(groupElement("events"))).isZero();
        assertThat(l.byteOffset(groupElement("data"))).isEqualTo(8);
    }

    @Test
    void anArrayOfPackedEpollEventsPutsTheSecondAtTwelve() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment two = arena.allocate(LinuxEpoll.epollEventLayout("x86_64"), 2);
            assertThat(two.byteSize()).isEqualTo(24);
        }
    }

    @Test
    void theEpollLayoutInUseMatchesThisMachine() {
        long expected = Platform.ARCH.equals("x86_64") ? 12 : 16;
        assertThat(LinuxEpoll.EVENT_SIZE).isEqualTo(expected);
    }

    @Test
    void pollfdIsEightBytes() {
        assertThat(Posix.POLLFD.byteSize()).isEqualTo(8);
        assertThat(Posix.POLLFD.byteOffset(groupElement("fd"))).isZero();
        assertThat(Posix.POLLFD.byteOffset(groupElement("events"))).isEqualTo(4);
        assertThat(Posix.POLLFD.byteOffset(groupElement("revents"))).isEqualTo(6);
    }

    @Test
    void fdSetHolds1024Bits() {
        assertThat(Posix.FD_SET.byteSize() * 8).isEqualTo(1024);
        assertThat(Posix.FD_SETSIZE).isEqualTo(1024);
    }

    @Test
    void timevalAndRlimitAreTwoSixtyFourBitFields() {
        assertThat(Posix.TIMEVAL.byteSize()).isEqualTo(16);
        assertThat(Posix.TIMEVAL.byteOffset(groupElement("tv_usec"))).isEqualTo(8);
        assertThat(Posix.RLIMIT.byteSize()).isEqualTo(16);
        assertThat(Posix.RLIMIT.byteOffset(groupElement("rlim_max"))).isEqualTo(8);
    }

    @Test
    void sockaddrInHasPortAndAddressInNetworkOrder() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(Posix.SOCKADDR_IN_SIZE);
            Posix.encodeSockaddrIn(sa, 0x7f000001, 8080);
            byte[] b = sa.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            assertThat(b).hasSize(16);
            assertThat(new byte[] {b[2], b[3]}).containsExactly(0x1f, (byte) 0x90);            // 8080
            assertThat(new byte[] {b[4], b[5], b[6], b[7]}).containsExactly(127, 0, 0, 1);
            if (Platform.isLinux()) assertThat(new byte[] {b[0], b[1]}).containsExactly(2, 0);  // AF_INET, LE short
            else assertThat(new byte[] {b[0], b[1]}).containsExactly(16, 2);                     // sin_len, AF_INET
            assertThat(Posix.sockaddrInPort(sa)).isEqualTo(8080);
        }
    }

    @Test
    void errnoNamesAndTexts() {
        NativeIOException e = new NativeIOException("epoll_ctl(ADD, fd=12)", Errno.EEXIST);
        assertThat(e).hasMessage("epoll_ctl(ADD, fd=12) failed: EEXIST (File exists)");
        assertThat(e.errnoName()).isEqualTo("EEXIST");
        assertThat(Errno.name(Errno.EAGAIN)).isEqualTo("EAGAIN");
        assertThat(Errno.name(9999)).isEqualTo("errno 9999");
    }

    @Test
    void anAlignedLongAtOffsetFourIsRejectedByTheJdk() {
        // Why the x86-64 layout needs JAVA_LONG_UNALIGNED.
        assertThatThrownBy(() -> java.lang.foreign.MemoryLayout.structLayout(
                java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_LONG))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
