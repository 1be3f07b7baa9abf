package hpio.lb;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The whole contract with two poll loops (--threads 2), each with its own SO_REUSEPORT listener. */
@EnabledOnOs({OS.LINUX, OS.MAC, OS.FREEBSD})
class LbOnPollThreads2Test extends LoadBalancerContract {
    @Override String backend() { return "poll"; }

    @Override int threads() { return 2; }
}
