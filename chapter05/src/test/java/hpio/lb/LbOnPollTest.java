package hpio.lb;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

@EnabledOnOs({OS.LINUX, OS.MAC, OS.FREEBSD})
class LbOnPollTest extends LoadBalancerContract {
    @Override String backend() { return "poll"; }
}
