package hpio.lb;

import static org.assertj.core.api.Assertions.assertThat;

import hpio.testing.ChildBalancer;
import hpio.testing.Peers;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * What a student's first start costs where the open-files limit is huge (a
 * container's 1,048,576): the pool is made as it is used, so the balancer starts
 * as small as at 20,000. The limit cannot be raised here, so the child is told to
 * pretend (-Dhpio.test.openFiles). The JVM flags are the launcher's heap flags.
 */
@EnabledOnOs(OS.LINUX)      // reads /proc/PID/status
class StartupFootprintTest {
    static final List<String> LAUNCHER_HEAP = List.of("-Xms8m", "-Xmx128m", "-XX:TieredStopAtLevel=1");

    record Start(long rssKib, long millis, String line) {}

    static Start start(long openFiles) throws Exception {
        List<String> jvm = new java.util.ArrayList<>(LAUNCHER_HEAP);
        jvm.add("-Dhpio.test.openFiles=" + openFiles);
        long t0 = System.nanoTime();
        try (ChildBalancer child = new ChildBalancer(jvm, String.valueOf(Peers.deadPort()), "127.0.0.1:" + Peers.deadPort()).awaitListening()) {
            long millis = (System.nanoTime() - t0) / 1_000_000;
            String line = child.output.stream().filter(l -> l.contains("listening on")).findFirst().orElseThrow();
            return new Start(child.rssKib(), millis, line);
        }
    }

    @Test
    void aLimitOfAMillionFilesStartsWithinTenMegabytesOfTwentyThousand() throws Exception {
        Start small = start(20_000);
        Start huge = start(1_048_576);
        System.out.printf("StartupFootprintTest: open files 20,000: RSS %,d KiB, %d ms to listen; 1,048,576: RSS %,d KiB,"
                + " %d ms%n  %s%n  %s%n", small.rssKib, small.millis, huge.rssKib, huge.millis, small.line, huge.line);
        assertThat(small.line).contains("pool of up to 9984 connections");
        // Capped by half the heap at 2 KiB a connection: the heap a 128 MB JVM reports (Runtime.maxMemory)
        // is a little under 128 MB, so a little under 32,768.
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("pool of up to (\\d+) connections").matcher(huge.line);
        assertThat(m.find()).as(huge.line).isTrue();
        assertThat(Integer.parseInt(m.group(1))).as("capped by the heap, not 524,272 by the fds").isBetween(28_000, 32_768);
        assertThat(Math.abs(huge.rssKib - small.rssKib)).as("RSS difference in KiB").isLessThan(10 * 1024);
    }

    /** With the launcher's 128 MB heap, two million connections cannot fit: one line and the usage, exit 2. */
    @Test
    void maxConnsTheHeapCannotHoldIsABadCommandLine() throws Exception {
        try (ChildBalancer child = new ChildBalancer(LAUNCHER_HEAP, "8080", "127.0.0.1:9", "--max-conns", "2000000")) {
            assertThat(child.awaitExit()).isEqualTo(2);
            assertThat(child.output.getFirst()).startsWith("high_perf_lb: --max-conns 2000000 needs about 3906 MiB");
            assertThat(child.output).anyMatch(l -> l.startsWith("Usage: high_perf_lb"));
            assertThat(String.join("\n", child.output)).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }
}
