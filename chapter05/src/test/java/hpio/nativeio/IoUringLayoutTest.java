package hpio.nativeio;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.StructLayout;
import org.junit.jupiter.api.Test;

/** The io_uring structs against include/uapi/linux/io_uring.h (the same on x86-64 and aarch64). */
class IoUringLayoutTest {

    private static long offset(StructLayout layout, String... path) {
        return LinuxIoUring.off(layout, path);
    }

    @Test
    void sqringOffsetsIsFortyBytes() {
        StructLayout l = LinuxIoUring.IO_SQRING_OFFSETS;
        assertThat(l.byteSize()).isEqualTo(40);
        String[] fields = {"head", "tail", "ring_mask", "ring_entries", "flags", "dropped", "array", "resv1"};
        for (int i = 0; i < fields.length; i++) assertThat(offset(l, fields[i])).as(fields[i]).isEqualTo(4L * i);
        assertThat(offset(l, "user_addr")).isEqualTo(32);
    }

    @Test
    void cqringOffsetsIsFortyBytes() {
        StructLayout l = LinuxIoUring.IO_CQRING_OFFSETS;
        assertThat(l.byteSize()).isEqualTo(40);
        String[] fields = {"head", "tail", "ring_mask", "ring_entries", "overflow", "cqes", "flags", "resv1"};
        for (int i = 0; i < fields.length; i++) assertThat(offset(l, fields[i])).as(fields[i]).isEqualTo(4L * i);
        assertThat(offset(l, "user_addr")).isEqualTo(32);
    }

    @Test
    void paramsIs120BytesWithTheOffsetsAtFortyAndEighty() {
        StructLayout l = LinuxIoUring.IO_URING_PARAMS;
        assertThat(l.byteSize()).isEqualTo(120);
        assertThat(offset(l, "sq_entries")).isZero();
        assertThat(offset(l, "cq_entries")).isEqualTo(4);
        assertThat(offset(l, "flags")).isEqualTo(8);
        assertThat(offset(l, "features")).isEqualTo(20);
        assertThat(offset(l, "wq_fd")).isEqualTo(24);
        assertThat(offset(l, "resv")).isEqualTo(28);
        assertThat(offset(l, "sq_off")).isEqualTo(40);
        assertThat(offset(l, "cq_off")).isEqualTo(80);
        assertThat(offset(l, "cq_off", "cqes")).isEqualTo(100);
    }

    @Test
    void sqeIsSixtyFourBytes() {
        StructLayout l = LinuxIoUring.IO_URING_SQE;
        assertThat(l.byteSize()).isEqualTo(64).isEqualTo(LinuxIoUring.SQE_SIZE);
        assertThat(offset(l, "opcode")).isZero();
        assertThat(offset(l, "flags")).isEqualTo(1);
        assertThat(offset(l, "ioprio")).isEqualTo(2);
        assertThat(offset(l, "fd")).isEqualTo(4);
        assertThat(offset(l, "off")).isEqualTo(8);
        assertThat(offset(l, "addr")).isEqualTo(16);
        assertThat(offset(l, "len")).isEqualTo(24);
        assertThat(offset(l, "op_flags")).isEqualTo(28);          // poll32_events, msg_flags, accept_flags...
        assertThat(offset(l, "user_data")).isEqualTo(32);
        assertThat(offset(l, "buf_index")).isEqualTo(40);         // buf_group too
        assertThat(offset(l, "personality")).isEqualTo(42);
        assertThat(offset(l, "file_index")).isEqualTo(44);        // splice_fd_in, addr_len
        assertThat(offset(l, "addr3")).isEqualTo(48);
    }

    @Test
    void cqeIsSixteenBytes() {
        StructLayout l = LinuxIoUring.IO_URING_CQE;
        assertThat(l.byteSize()).isEqualTo(16).isEqualTo(LinuxIoUring.CQE_SIZE);
        assertThat(offset(l, "user_data")).isZero();
        assertThat(offset(l, "res")).isEqualTo(8);
        assertThat(offset(l, "flags")).isEqualTo(12);
    }

    @Test
    void geteventsArgAndTimespec() {
        assertThat(LinuxIoUring.IO_URING_GETEVENTS_ARG.byteSize()).isEqualTo(24);
        assertThat(offset(LinuxIoUring.IO_URING_GETEVENTS_ARG, "ts")).isEqualTo(16);
        assertThat(LinuxIoUring.KERNEL_TIMESPEC.byteSize()).isEqualTo(16);
        assertThat(offset(LinuxIoUring.KERNEL_TIMESPEC, "tv_sec")).isZero();       // __kernel_time64_t
        assertThat(offset(LinuxIoUring.KERNEL_TIMESPEC, "tv_nsec")).isEqualTo(8);  // long long, also on 32-bit
    }

    /** include/uapi/linux/io_uring.h: the provided-buffer ring's registration and entries. */
    @Test
    void providedBufferRingStructs() {
        assertThat(LinuxIoUring.IO_URING_BUF_REG.byteSize()).isEqualTo(40);
        assertThat(offset(LinuxIoUring.IO_URING_BUF_REG, "ring_addr")).isZero();
        assertThat(offset(LinuxIoUring.IO_URING_BUF_REG, "ring_entries")).isEqualTo(8);
        assertThat(offset(LinuxIoUring.IO_URING_BUF_REG, "bgid")).isEqualTo(12);
        assertThat(offset(LinuxIoUring.IO_URING_BUF_REG, "flags")).isEqualTo(14);
        assertThat(offset(LinuxIoUring.IO_URING_BUF_REG, "resv")).isEqualTo(16);
        assertThat(LinuxIoUring.IO_URING_BUF.byteSize()).isEqualTo(16);
        assertThat(offset(LinuxIoUring.IO_URING_BUF, "addr")).isZero();
        assertThat(offset(LinuxIoUring.IO_URING_BUF, "len")).isEqualTo(8);
        assertThat(offset(LinuxIoUring.IO_URING_BUF, "bid")).isEqualTo(12);
        assertThat(offset(LinuxIoUring.IO_URING_BUF, "resv")).isEqualTo(14);   // entry 0's: the ring's tail
    }

    @Test
    void aRefusedSetupSaysWhyInOneLine() {
        assertThat(LinuxIoUring.refusal(Errno.ENOSYS)).startsWith("io_uring_setup failed: ENOSYS")
                .contains("seccomp").doesNotContain("\n");
        String eperm = LinuxIoUring.refusal(Errno.EPERM);
        assertThat(eperm).startsWith("io_uring_setup failed: EPERM").doesNotContain("\n");
        // Where kernel.io_uring_disabled is set the message names it; else it names the usual cause.
        assertThat(eperm).containsAnyOf("kernel.io_uring_disabled", "seccomp");
    }
}
