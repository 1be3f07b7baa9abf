package hpio.lb;

import org.junit.jupiter.api.BeforeAll;

/**
 * The balancer on its completion path ({@code -e io_uring-completion}): every
 * contract test but those of the reactor's exercise hooks, which skip with the
 * reason printed; the whole class skips where io_uring is unavailable.
 */
class LbOnIoUringCompletionTest extends LoadBalancerContract {
    @Override String backend() { return Balancer.COMPLETION; }

    @Override boolean isReactor() { return false; }

    @BeforeAll
    static void onlyWhereIoUringWorks() {
        String reason = hpio.nativeio.LinuxIoUring.unavailableReason();
        if (reason != null) System.out.println("LbOnIoUringCompletionTest skipped: " + reason);
        org.junit.jupiter.api.Assumptions.assumeTrue(reason == null, reason);
    }
}
