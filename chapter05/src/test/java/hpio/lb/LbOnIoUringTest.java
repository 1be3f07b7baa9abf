package hpio.lb;

import org.junit.jupiter.api.BeforeAll;

/** The balancer on io_uring readiness; skipped, with the reason printed, where io_uring is unavailable. */
class LbOnIoUringTest extends LoadBalancerContract {
    @Override String backend() { return "io_uring"; }

    @BeforeAll
    static void onlyWhereIoUringWorks() {
        String reason = hpio.loop.EventLoops.unavailableReason("io_uring");
        if (reason != null) System.out.println("LbOnIoUringTest skipped: " + reason);
        org.junit.jupiter.api.Assumptions.assumeTrue(reason == null, reason);
    }
}
