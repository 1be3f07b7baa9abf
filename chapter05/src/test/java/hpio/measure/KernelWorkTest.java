package hpio.measure;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The kernel's work per request: perf stat's count as this machine's perf
 * (6.1) writes it with -x, and the arithmetic of system calls and CPU time per
 * request.
 */
class KernelWorkTest {

    @Test
    void perfsCountIsReadFromItsCsvLine() {
        String out = """
                # started on Tue Dec  1 07:16:16 2026

                184412,,raw_syscalls:sys_enter,3001234567,100.00,,
                """;
        assertThat(SyscallCounter.count(out)).contains(184412L);
    }

    @Test
    void aProcessThatNeverRanWasNotCountedWhichIsZeroCalls() {
        // What perf printed here for a sleeping process: its counter was never scheduled in.
        assertThat(SyscallCounter.count("<not counted>,,raw_syscalls:sys_enter,0,100.00,,\n")).contains(0L);
    }

    @Test
    void withoutTheEventsLineThereIsNoCount() {
        assertThat(SyscallCounter.count("Problems finding threads of monitor\n\n Usage: perf stat [<options>]"))
                .isEmpty();
        assertThat(SyscallCounter.count("12,,cycles,1000,100.00,,\n")).isEmpty();
        assertThat(SyscallCounter.count("")).isEmpty();
    }

    @Test
    void perfAttachesToEveryProcessOfTheProxy() {
        assertThat(SyscallCounter.command(List.of(41L, 42L), Path.of("/r/logs/x.perf.txt"))).containsExactly(
                "perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "-o", "/r/logs/x.perf.txt", "-p", "41,42");
    }

    @Test
    void systemCallsPerRequest() {
        assertThat(SyscallCounter.perRequest(Optional.of(450_000L), 100_000)).isEqualTo("4.5");
        assertThat(SyscallCounter.perRequest(Optional.of(400_000L), 100_000)).isEqualTo("4.0");
        assertThat(SyscallCounter.perRequest(Optional.empty(), 100_000)).isEqualTo("-");
        assertThat(SyscallCounter.perRequest(Optional.of(10L), 0)).isEqualTo("-");
    }

    @Test
    void cpuMicrosecondsPerRequestFromProcsCpuSeconds() {
        // 1,900 ticks at 100 Hz read after, 1,523 before: 3.77 s of CPU over 150,000 requests.
        double before = 1523 / 100.0, after = 1900 / 100.0;
        assertThat(ProcSampler.microsPerRequest(before, after, 150_000)).isEqualTo("25.1");
        assertThat(ProcSampler.microsPerRequest(2.0, 2.0, 10)).isEqualTo("0.0");
        assertThat(ProcSampler.microsPerRequest(1.0, 2.0, 0)).isEqualTo("-");
    }
}
