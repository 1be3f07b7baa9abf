package hpio.lb;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

@EnabledOnOs({OS.LINUX, OS.MAC, OS.FREEBSD})
class LbOnSelectTest extends LoadBalancerContract {
    @Override String backend() { return "select"; }

    /** select stops at FD_SETSIZE: about 500 proxied connections (two fds each) fit below 1,024. */
    @Override int scaleConnections() { return 400; }
}
