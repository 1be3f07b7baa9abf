package hpio.lb;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The whole contract with two loops (--threads 2), each with its own SO_REUSEPORT listener. */
@EnabledOnOs(OS.LINUX)
class LbOnEpollThreads2Test extends LoadBalancerContract {
    @Override String backend() { return "epoll"; }

    @Override int threads() { return 2; }
}
