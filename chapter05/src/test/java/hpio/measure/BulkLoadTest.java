package hpio.measure;

import static org.assertj.core.api.Assertions.assertThat;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** The bulk scenario's tools: which one runs, their commands, and what they printed (iperf3 3.12 here). */
class BulkLoadTest {

    @Test
    void iperf3WhenInstalledUnlessTheBuiltinIsAskedFor() {
        assertThat(BulkLoad.choose("auto", true)).isEqualTo(BulkLoad.IPERF3);
        assertThat(BulkLoad.choose("wrk", true)).isEqualTo(BulkLoad.IPERF3);
        assertThat(BulkLoad.choose("builtin", true)).isEqualTo(BulkLoad.BUILTIN);
        assertThat(BulkLoad.choose("auto", false)).isEqualTo(BulkLoad.BUILTIN);
    }

    @Test
    void commands() {
        assertThat(BulkLoad.IPERF3.command(3, 28080, "java", "x.jar"))
                .containsExactly("iperf3", "-c", "127.0.0.1", "-p", "28080", "-t", "3", "-J");
        assertThat(BulkLoad.IPERF3.serverCommand(28083, "java", "x.jar")).containsExactly("iperf3", "-s", "-p", "28083");
        assertThat(BulkLoad.BUILTIN.command(3, 28080, "java", "x.jar")).endsWith("hpio.measure.BulkTool", "send",
                "28080", "3", "0");
    }

    @Test
    void iperf3sReceiverSumIsTheFigure() {
        // The end of iperf3 -J's report, as it printed it here (tabs and all); sum_sent comes first.
        String json = """
                	"end":	{
                		"sum_sent":	{
                			"start":	0,
                			"end":	2.000207,
                			"seconds":	2.000207,
                			"bytes":	4810342400,
                			"bits_per_second":	19239378324.34343,
                			"retransmits":	0,
                			"sender":	true
                		},
                		"sum_received":	{
                			"start":	0,
                			"end":	2.00029,
                			"seconds":	2.00029,
                			"bytes":	4810473472,
                			"bits_per_second":	19239104217.8884,
                			"sender":	true
                		},
                """;
        BulkLoad.Transfer t = BulkLoad.IPERF3.parse(json).orElseThrow();
        assertThat(t.bytes()).isEqualTo(4810473472L);
        assertThat(t.gbps()).isCloseTo(19.239, Offset.offset(0.001));
        assertThat(BulkLoad.IPERF3.parse("{\"error\": \"unable to connect to server: Connection refused\"}")).isEmpty();
    }

    @Test
    void theBuiltinsResultLine() {
        BulkLoad.Transfer t = BulkLoad.BUILTIN.parse("Measuring\nRESULT bytes=3000000000 seconds=3.000 gbps=8.00\n")
                .orElseThrow();
        assertThat(t).isEqualTo(new BulkLoad.Transfer(3_000_000_000L, 8.0));
        assertThat(BulkLoad.BUILTIN.parse("BulkTool: Connection refused\n")).isEmpty();
    }
}
