package hpio.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The open-files limit, with a fake kernel standing in for getrlimit, setrlimit and
 * sysctl: the macOS path (RLIM_INFINITY) runs here on Linux. On a real Mac it runs
 * against XNU; nothing here can check that.
 */
class OpenFilesTest {
    static final long MACOS_RLIM_INFINITY = Long.MAX_VALUE;          // (1 << 63) - 1
    static final long LINUX_RLIM_INFINITY = -1;                      // ~0UL read as a signed long

    /** A kernel that accepts any soft limit up to {@code acceptsUpTo} and records what it was asked. */
    static final class FakeKernel implements OpenFiles.Kernel {
        long soft, hard, maxFilesPerProc, acceptsUpTo = Long.MAX_VALUE;
        final List<Long> asked = new ArrayList<>();

        FakeKernel(long soft, long hard, long maxFilesPerProc) {
            this.soft = soft;
            this.hard = hard;
            this.maxFilesPerProc = maxFilesPerProc;
        }

        @Override public long[] getrlimit() { return new long[] {soft, hard}; }

        @Override public boolean setrlimit(long soft, long hard) {
            asked.add(soft);
            if (soft > acceptsUpTo) return false;
            this.soft = soft;
            return true;
        }

        @Override public long maxFilesPerProc() { return maxFilesPerProc; }
    }

    @Test
    void linuxRaisesTheSoftLimitToTheHardOne() throws Exception {
        FakeKernel k = new FakeKernel(1024, 20_000, -1);
        OpenFiles.Limit l = OpenFiles.raise(k);
        assertThat(l.soft()).isEqualTo(20_000);
        assertThat(k.asked).containsExactly(20_000L);
        assertThat(l.describe()).isEqualTo("open files 20000: soft limit raised to the hard limit");
    }

    @Test
    void macOsWithAnUnlimitedHardLimitIsBoundedByMaxFilesPerProc() throws Exception {
        FakeKernel k = new FakeKernel(256, MACOS_RLIM_INFINITY, 24_576);
        OpenFiles.Limit l = OpenFiles.raise(k);
        assertThat(l.soft()).as("never 2^63").isEqualTo(24_576);
        assertThat(k.asked).containsExactly(24_576L);
        assertThat(l.describe()).contains("kern.maxfilesperproc is 24576");
    }

    /** The JDK on macOS may already have set the soft limit to "infinity": it is read as what XNU enforces. */
    @Test
    void macOsSoftLimitAlreadyInfiniteReadsAsMaxFilesPerProcAndIsNotTouched() throws Exception {
        FakeKernel k = new FakeKernel(MACOS_RLIM_INFINITY, MACOS_RLIM_INFINITY, 24_576);
        OpenFiles.Limit l = OpenFiles.raise(k);
        assertThat(l.soft()).isEqualTo(24_576);
        assertThat(k.asked).isEmpty();
    }

    @Test
    void olderMacOsRefusingMoreThanOpenMaxGetsOpenMax() throws Exception {
        FakeKernel k = new FakeKernel(256, MACOS_RLIM_INFINITY, 24_576);
        k.acceptsUpTo = OpenFiles.OPEN_MAX;
        OpenFiles.Limit l = OpenFiles.raise(k);
        assertThat(l.soft()).isEqualTo(10_240);
        assertThat(k.asked).containsExactly(24_576L, 10_240L);
    }

    @Test
    void anUnlimitedHardLimitWithNoReadableMaximumFallsBackToOpenMax() throws Exception {
        FakeKernel k = new FakeKernel(256, LINUX_RLIM_INFINITY, -1);
        assertThat(OpenFiles.raise(k).soft()).isEqualTo(10_240);
    }

    @Test
    void aSoftLimitAlreadyHigherIsNeverLowered() throws Exception {
        FakeKernel k = new FakeKernel(50_000, 50_000, 24_576);     // FreeBSD-like: a finite hard limit above the sysctl
        OpenFiles.Limit l = OpenFiles.raise(k);
        assertThat(l.soft()).as("what the kernel enforces: min(soft, maxfilesperproc)").isEqualTo(24_576);
        assertThat(k.asked).isEmpty();
    }

    @Test
    void aKernelThatRefusesLeavesTheLimitAsItWasAndSaysSo() throws Exception {
        FakeKernel k = new FakeKernel(1024, 4096, -1);
        k.acceptsUpTo = 1024;
        OpenFiles.Limit l = OpenFiles.raise(k);
        assertThat(l.soft()).isEqualTo(1024);
        assertThat(l.describe()).contains("refused");
    }

    @Test
    void theRealLimitHereIsAFiniteNumber() throws Exception {
        OpenFiles.Limit l = OpenFiles.raiseSoftToHard();
        assertThat(l.soft()).isPositive().isLessThan(Integer.MAX_VALUE);
    }
}
