package hpio.lb;

import org.junit.jupiter.api.BeforeAll;

/** The whole contract with two io_uring loops (--threads 2), a ring each; skipped, with the reason, without io_uring. */
class LbOnIoUringThreads2Test extends LoadBalancerContract {
    @Override String backend() { return "io_uring"; }

    @Override int threads() { return 2; }

    @BeforeAll
    static void onlyWhereIoUringWorks() {
        LbOnIoUringTest.onlyWhereIoUringWorks();
    }
}
