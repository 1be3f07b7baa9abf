package hpio.lb;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The whole contract with two select loops (--threads 2). FD_SETSIZE binds the
 * process, not each loop: the fds of both loops share the numbers below 1,024.
 */
@EnabledOnOs({OS.LINUX, OS.MAC, OS.FREEBSD})
class LbOnSelectThreads2Test extends LoadBalancerContract {
    @Override String backend() { return "select"; }

    @Override int threads() { return 2; }

    /** As with one loop: about 500 proxied connections (two fds each) fit below 1,024, across both loops. */
    @Override int scaleConnections() { return 400; }
}
