package hpio.nativeio;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.StructLayout;
import org.junit.jupiter.api.Test;

/** struct kevent and struct timespec as macOS's and FreeBSD's headers lay them out (64-bit). */
class KqueueLayoutTest {

    private static long offset(StructLayout layout, String field) {
        return layout.byteOffset(groupElement(field));
    }

    @Test
    void keventBeforeFreeBsd12AndOnMacOsIs32Bytes() {
        StructLayout k = BsdKqueue.KEVENT_32;
        assertThat(k.byteSize()).isEqualTo(32);
        assertThat(offset(k, "ident")).isZero();
        assertThat(offset(k, "filter")).isEqualTo(8);
        assertThat(offset(k, "flags")).isEqualTo(10);
        assertThat(offset(k, "fflags")).isEqualTo(12);
        assertThat(offset(k, "data")).isEqualTo(16);
        assertThat(offset(k, "udata")).isEqualTo(24);
    }

    @Test
    void keventOfFreeBsd12AndLaterIs64BytesWithFourExtensionWords() {
        StructLayout k = BsdKqueue.KEVENT_64;
        assertThat(k.byteSize()).isEqualTo(64);
        assertThat(offset(k, "ident")).isZero();
        assertThat(offset(k, "filter")).isEqualTo(8);
        assertThat(offset(k, "flags")).isEqualTo(10);
        assertThat(offset(k, "fflags")).isEqualTo(12);
        assertThat(offset(k, "data")).isEqualTo(16);
        assertThat(offset(k, "udata")).isEqualTo(24);
        assertThat(offset(k, "ext")).isEqualTo(32);
        assertThat(k.select(groupElement("ext")).byteSize()).isEqualTo(32);
    }

    @Test
    void sharedOffsetConstantsHoldForBothLayouts() {
        for (StructLayout k : new StructLayout[] {BsdKqueue.KEVENT_32, BsdKqueue.KEVENT_64}) {
            assertThat(BsdKqueue.IDENT_OFFSET).isEqualTo(offset(k, "ident"));
            assertThat(BsdKqueue.FILTER_OFFSET).isEqualTo(offset(k, "filter"));
            assertThat(BsdKqueue.FLAGS_OFFSET).isEqualTo(offset(k, "flags"));
            assertThat(BsdKqueue.FFLAGS_OFFSET).isEqualTo(offset(k, "fflags"));
            assertThat(BsdKqueue.DATA_OFFSET).isEqualTo(offset(k, "data"));
        }
    }

    @Test
    void macOsAndTheTwoFreeBsdLibcsEachHaveTheirAbi() {
        assertThat(BsdKqueue.MACOS.kevent()).isSameAs(BsdKqueue.KEVENT_32);
        assertThat(BsdKqueue.MACOS.evfiltUser()).isEqualTo((short) -10);          // XNU bsd/sys/event.h
        assertThat(BsdKqueue.FREEBSD_11.kevent()).isSameAs(BsdKqueue.KEVENT_32);
        assertThat(BsdKqueue.FREEBSD_11.evfiltUser()).isEqualTo((short) -11);     // FreeBSD sys/sys/event.h
        assertThat(BsdKqueue.FREEBSD_12.kevent()).isSameAs(BsdKqueue.KEVENT_64);
        assertThat(BsdKqueue.FREEBSD_12.evfiltUser()).isEqualTo((short) -11);
    }

    // The FreeBSD choice by libc symbol version. The real dlvsym() calls run only on
    // FreeBSD (BsdKqueue.Handles); here, on any OS, the decision gets their answers as inputs.

    @Test
    void freeBsdLibcExportingKeventAtFbsd15HasThe64ByteStructWhateverTheKernelSays() {
        for (int kernel : new int[] {0, 11, 12, 14}) {
            BsdKqueue.Choice c = BsdKqueue.freeBsdAbi(true, true, true, kernel);
            assertThat(c.abi()).isSameAs(BsdKqueue.FREEBSD_12);
            assertThat(c.fallbackReason()).isNull();
        }
    }

    @Test
    void freeBsdLibcWithoutFbsd15HasThe32ByteStructEvenOnANewerKernel() {
        // A FreeBSD 11 userland in a jail on a 14 kernel: os.version says 14, libc says 32 bytes.
        BsdKqueue.Choice c = BsdKqueue.freeBsdAbi(true, false, true, 14);
        assertThat(c.abi()).isSameAs(BsdKqueue.FREEBSD_11);
        assertThat(c.fallbackReason()).isNull();
    }

    @Test
    void withoutDlvsymTheKernelReleaseDecidesAndOneLineSaysWhy() {
        assertThat(BsdKqueue.freeBsdAbi(false, false, false, 11).abi()).isSameAs(BsdKqueue.FREEBSD_11);
        assertThat(BsdKqueue.freeBsdAbi(false, false, false, 12).abi()).isSameAs(BsdKqueue.FREEBSD_12);
        assertThat(BsdKqueue.freeBsdAbi(false, false, false, 0).abi())
                .as("an unreadable release takes the larger struct: 32 on a 64 libc would overrun the array")
                .isSameAs(BsdKqueue.FREEBSD_12);
        String reason = BsdKqueue.freeBsdAbi(false, false, false, 14).fallbackReason();
        assertThat(reason).doesNotContain("\n")
                .startsWith("kqueue: libc has no dlvsym(), so struct kevent is guessed from the kernel release (FreeBSD 14): 64 bytes");
    }

    @Test
    void aDlvsymThatFindsNoVersionOfKeventIsNotTrusted() {
        // Every FreeBSD libc has kevent@FBSD_1.0: finding not even that means a stub dlvsym.
        BsdKqueue.Choice c = BsdKqueue.freeBsdAbi(true, false, false, 13);
        assertThat(c.abi()).isSameAs(BsdKqueue.FREEBSD_12);
        assertThat(c.fallbackReason()).startsWith("kqueue: dlvsym() finds no version of kevent");
    }

    @Test
    void freeBsdKernelMajorIsReadFromOsVersion() {
        assertThat(Platform.freeBsdMajor("14.1-RELEASE-p5")).isEqualTo(14);
        assertThat(Platform.freeBsdMajor("11.4-STABLE")).isEqualTo(11);
        assertThat(Platform.freeBsdMajor("")).isZero();
        assertThat(Platform.freeBsdMajor("unknown")).isZero();
    }

    @Test
    void timespecIs16Bytes() {
        assertThat(BsdKqueue.TIMESPEC.byteSize()).isEqualTo(16);
        assertThat(offset(BsdKqueue.TIMESPEC, "tv_sec")).isZero();
        assertThat(offset(BsdKqueue.TIMESPEC, "tv_nsec")).isEqualTo(8);
    }

    @Test
    void constantsMatchTheHeaders() {
        assertThat(BsdKqueue.EVFILT_READ).isEqualTo((short) -1);
        assertThat(BsdKqueue.EVFILT_WRITE).isEqualTo((short) -2);
        assertThat(BsdKqueue.EV_ADD).isEqualTo(0x1);
        assertThat(BsdKqueue.EV_DELETE).isEqualTo(0x2);
        assertThat(BsdKqueue.EV_ENABLE).isEqualTo(0x4);
        assertThat(BsdKqueue.EV_DISABLE).isEqualTo(0x8);
        assertThat(BsdKqueue.EV_CLEAR).isEqualTo(0x20);
        assertThat(BsdKqueue.EV_RECEIPT).isEqualTo(0x40);
        assertThat(BsdKqueue.EV_ERROR).isEqualTo(0x4000);
        assertThat(BsdKqueue.EV_EOF).isEqualTo(0x8000);
        assertThat(BsdKqueue.EVFILT_USER_MACOS).isEqualTo((short) -10);
        assertThat(BsdKqueue.EVFILT_USER_FREEBSD).isEqualTo((short) -11);
        assertThat(BsdKqueue.NOTE_TRIGGER).isEqualTo(0x01000000);
    }
}
