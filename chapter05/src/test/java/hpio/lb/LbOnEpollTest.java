package hpio.lb;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

@EnabledOnOs(OS.LINUX)
class LbOnEpollTest extends LoadBalancerContract {
    @Override String backend() { return "epoll"; }
}
