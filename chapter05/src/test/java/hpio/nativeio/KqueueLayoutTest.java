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
    void layoutIsChosenByOsAndFreeBsdVersion() {
        assertThat(BsdKqueue.keventLayout(Platform.Os.MACOS, 0)).isSameAs(BsdKqueue.KEVENT_32);
        assertThat(BsdKqueue.keventLayout(Platform.Os.FREEBSD, 11)).isSameAs(BsdKqueue.KEVENT_32);
        assertThat(BsdKqueue.keventLayout(Platform.Os.FREEBSD, 12)).isSameAs(BsdKqueue.KEVENT_64);
        assertThat(BsdKqueue.keventLayout(Platform.Os.FREEBSD, 14)).isSameAs(BsdKqueue.KEVENT_64);
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
    }
}
