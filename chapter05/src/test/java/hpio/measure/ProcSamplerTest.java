package hpio.measure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Reading /proc's formats, on lines recorded from this machine's kernel (6.18). */
class ProcSamplerTest {

    @Test
    void cpuTicksAfterANameWithSpacesAndParentheses() {
        String stat = "4242 (java (stress) x) S 1 4242 4242 0 -1 4194560 21312 0 12 0 1523 377 0 0 20 0 23 0 "
                + "1234567 3724111872 15234 18446744073709551615 1 1 0 0 0 0 0 4096 16796879 0 0 0 17 1 0 0 0 0 0";
        assertThat(ProcSampler.statTicks(stat)).isEqualTo(1523 + 377);
    }

    @Test
    void peakResidentSize() {
        String status = "Name:\tjava\nVmPeak:\t 3724112 kB\nVmSize:\t 3724112 kB\nVmHWM:\t   60312 kB\nVmRSS:\t   59876 kB\n";
        assertThat(ProcSampler.vmHwmKib(status)).contains(60312L);
        assertThat(ProcSampler.vmHwmKib("Name:\tkthreadd\n")).isEqualTo(Optional.empty());
    }

    @Test
    void listenOverflowsFromTheTcpExtLines() {
        List<String> netstat = List.of(
                "TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts ListenOverflows ListenDrops",
                "TcpExt: 0 0 0 3 1680 1680",
                "IpExt: InNoRoutes InTruncatedPkts",
                "IpExt: 0 0");
        assertThat(ProcSampler.listenOverflows(netstat)).isEqualTo(1680);
        assertThat(ProcSampler.listenOverflows(List.of())).isZero();
    }
}
